#!/usr/bin/env bash
# Builds the AddressSanitizer + UndefinedBehaviorSanitizer tree (`cmake --preset asan`, build-asan/)
# and runs test suites in it. Without arguments: the parser/config/jsonl/tokenizer/grading subset
# (docs/reliability.md has the figures and why it is not part of .ci/run); with --all: every suite;
# otherwise the given ctest -R pattern. Sentencepiece tokenizers cannot load in this build (the shim
# needs RTLD_DEEPBIND, which the sanitizer runtime refuses), so their test cases skip, saying why.
set -euo pipefail
cd "$(dirname "$0")/.."
subset="test_safetensors|test_config|test_jsonl|test_tokenizer$|test_eval_grading|test_eval_hostile|test_model_config|test_model_loader|test_core|test_run_control|test_problems|test_contrast_dataset"
pattern=$subset
targets=(test_safetensors test_config test_jsonl test_tokenizer test_eval_grading test_eval_hostile test_model_config
  test_model_loader test_core test_run_control test_problems test_contrast_dataset)
case "${1:-}" in
  "") ;;
  --all) pattern="."; targets=() ;;
  *) pattern=$1; targets=() ;;
esac
[ -f build-asan/CMakeCache.txt ] || cmake --preset asan > /dev/null
cmake --build build-asan -j"$(nproc)" ${targets[@]+--target "${targets[@]}"}
# Leaks off: LibTorch and GiNaC keep process-lifetime allocations. Any other report ends the test.
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-asan -R "$pattern" -j2 --output-on-failure

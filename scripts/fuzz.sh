#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, CMake option LR_FUZZ, clang + ASan + UBSan) into
# build-fuzz/ and runs each for MINUTES (default 1), one after another. Seeds: the small files in
# fuzz/corpus/<harness>/ plus real files from tests/fixtures/ and data/ assembled at run time; the
# growing corpus is kept in build-fuzz/corpus/<harness>/ so a later run continues from it.
# Failures: a crash or sanitizer report, a hang (one input > 10 s), an allocation or RSS over
# 2 GB (libFuzzer's -timeout, -rss_limit_mb, -malloc_limit_mb); each is saved under
# build-fuzz/findings/<harness>/ and counted. Leak reports are off (LibTorch and GiNaC keep
# process-lifetime allocations). Prints a table: executions, seconds, corpus size, findings.
# A harness with a costly start (the 11 MB Qwen3 tokenizer, ~10 s under ASan) runs in one process instead
# of libFuzzer's fork mode, which would reload it for every job; it stops at its first finding.
# Usage: scripts/fuzz.sh [MINUTES] [HARNESS...]   (env: JOBS=1 build parallelism, NICE=15;
# NO_BUILD=1 skips configuring, building and seeding, to run a second subset beside a first)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MINUTES=${1:-1}
shift || true
JOBS=${JOBS:-1}
NICE=${NICE:-15}
BUILD=$ROOT/build-fuzz
SEP=$'\n#~#\n'
IN_PROCESS="fuzz_tokenizer_encode"

HARNESSES=("$@")
if [[ ${#HARNESSES[@]} == 0 ]]; then
  for f in fuzz/fuzz_*.cpp; do HARNESSES+=("$(basename "$f" .cpp)"); done
fi
SEEDS=$BUILD/seeds
if [[ ${NO_BUILD:-0} != 1 ]]; then
command -v clang++-14 >/dev/null || { echo "fuzz.sh: clang++-14 not found (Debian: apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 2; }
# -O1 with line tables: quick to compile on a shared machine, enough for symbolized reports.
CC=clang-14 CXX=clang++-14 cmake -S . -B "$BUILD" -G Ninja -DLR_FUZZ=ON -DLR_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" >/dev/null
nice -n "$NICE" cmake --build "$BUILD" -j"$JOBS" --target "${HARNESSES[@]}" | tail -3

# ---- seeds from the repository (multi-part inputs joined with the harnesses' separator) ----
rm -rf "$SEEDS"
mkdir -p "$SEEDS"
join_parts() {  # join_parts OUT FILE|-TEXT ...: parts joined with SEP; "-TEXT" is literal text
  local out=$1 first=1 part
  shift
  : >"$out"
  for part in "$@"; do
    [[ $first == 1 ]] || printf '%s' "$SEP" >>"$out"
    first=0
    if [[ $part == -* ]]; then printf '%s' "${part#-}" >>"$out"; else cat "$part" >>"$out"; fi
  done
}
seed() { mkdir -p "$SEEDS/$1"; join_parts "$SEEDS/$1/$2" "${@:3}"; }
FIX=tests/fixtures
n=0
for f in $FIX/hf_parity/*/adapter/adapter_model.safetensors; do seed fuzz_safetensors st$((n++)) "$f"; done
for m in $FIX/hf_parity/llama $FIX/hf_parity/qwen2 $FIX/hf_parity/qwen3 $FIX/stories260K/hf; do
  seed fuzz_model_config "$(basename "$m")" "$m/config.json" "$m/generation_config.json"
done
seed fuzz_tokenizer_load stories $FIX/stories260K/hf/tokenizer.json $FIX/stories260K/hf/tokenizer_config.json \
  "-Once upon a time, there was a big dog. It said: \"Hi!\" 42"
seed fuzz_tokenizer_load stories_noconfig $FIX/stories260K/hf/tokenizer.json - "-Tom and Lily 1 2 3"
n=0
for f in $FIX/hf_parity/*/adapter/adapter_config.json; do seed fuzz_adapter_config a$((n++)) "$f"; done
for f in configs/*.json; do seed fuzz_run_config "$(basename "$f" .json)" "$f" "-seed=7"; done
n=0
for f in data/*/test.jsonl; do
  head -c 3000 "$f" | head -n 3 >"$SEEDS/tmp_lines"
  seed fuzz_jsonl j$((n++)) "$SEEDS/tmp_lines"
done
i=0
for name in gsm8k math minerva_math svamp asdiv mawps carp_en mmlu_stem sat_math aqua gaokao2023en college_math \
    gaokao_math_cloze gaokao_math_qa gaokao2024_mix cn_middle_school olympiadbench aime24 amc23 cmath gaokao2024_I \
    gaokao2024_II imo2024; do
  f=$(ls data/$name/test.jsonl 2>/dev/null || true)
  if [[ -n $f ]]; then
    head -n 1 "$f" | head -c 4000 >"$SEEDS/tmp_record"
    mkdir -p "$SEEDS/fuzz_eval_grading"
    { printf "\\x$(printf %02x $i)"; cat "$SEEDS/tmp_record"; printf '%s' "$SEP" "The answer is \\boxed{42}." "$SEP" "42"; } \
      >"$SEEDS/fuzz_eval_grading/$name"
  fi
  i=$((i + 1))
done
# Text to encode: questions of the data sets, each behind a byte choosing the tokenizer.
n=0
for f in data/gsm8k/test.jsonl data/math/test.jsonl; do
  [[ -f $f ]] || continue
  head -n 4 "$f" | while IFS= read -r line; do
    mkdir -p "$SEEDS/fuzz_tokenizer_encode"
    { printf "\\x$(printf %02x $((n % 2)))"; printf '%s' "$line"; } >"$SEEDS/fuzz_tokenizer_encode/q${n}_$RANDOM"
  done
  n=$((n + 1))
done
# Sentencepiece models small enough to mutate (~6 kB with the identity normalizer; the llama2
# fixture is 500 kB): unigram and BPE, with and without byte fallback, trained by spm_train on README.md.
if command -v spm_train >/dev/null; then
  for kind in unigram bpe; do
    for fallback in true false; do
      out=$SEEDS/spm_$kind$fallback
      spm_train --input=README.md --model_prefix="$out" --vocab_size=400 --model_type=$kind \
        --byte_fallback=$fallback --character_coverage=0.9995 --normalization_rule_name=identity --minloglevel=2 >/dev/null 2>&1 || continue
      seed fuzz_sentencepiece "$kind$fallback" "$out.model" "-Once upon a time, 42 = x² + 1 ▁ <0x41>"
      rm -f "$out".*
    done
  done
fi
for m in llama qwen2 qwen3; do
  seed fuzz_adapter_tensors "$m" $FIX/hf_parity/$m/adapter/adapter_config.json $FIX/hf_parity/$m/adapter/adapter_model.safetensors
done
head -n 40 $FIX/grader_vectors/cases.jsonl | while IFS= read -r line; do
  printf '%s\n' "$line" >>"$SEEDS/tmp_cases"
done
[[ -f $SEEDS/tmp_cases ]] && seed fuzz_jsonl grader_cases "$SEEDS/tmp_cases"
rm -f "$SEEDS"/tmp_*
fi

# ---- run ----
SECONDS_EACH=$((MINUTES * 60))
export ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LR_FUZZ_SCRATCH=${LR_FUZZ_SCRATCH:-/tmp}
mkdir -p "$BUILD/logs"
rows=()
total_findings=0
for h in "${HARNESSES[@]}"; do
  corpus=$BUILD/corpus/$h
  findings=$BUILD/findings/$h
  mkdir -p "$corpus" "$findings" "$SEEDS/$h"
  seeds=("$SEEDS/$h")
  [[ -d fuzz/corpus/$h ]] && seeds+=("fuzz/corpus/$h")
  log=$BUILD/logs/$h.log
  echo "== $h: ${SECONDS_EACH}s" >&2
  start=$(date +%s)
  # Fork mode keeps fuzzing after a finding (each is saved and counted) until the time is up.
  mode=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  [[ " $IN_PROCESS " == *" $h "* ]] && mode=()
  nice -n "$NICE" "$BUILD/$h" ${mode[@]+"${mode[@]}"} \
    -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$findings/" "$corpus" "${seeds[@]}" >"$log" 2>&1 || true
  seconds=$(($(date +%s) - start))
  # Status lines: fork mode "#EXECS: cov: .. ft: .. corp: N exec/s: ..", one process
  # "#EXECS<tab>NEW|REDUCE|pulse  cov: .. ft: .. corp: N/size ..".
  last=$(grep -oE '#[0-9]+:?[[:space:]]+([A-Za-z]+[[:space:]]+)?cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1 || true)
  execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"${last:-#0}")
  corp=$(sed -E 's/.* corp: ([0-9]+).*/\1/' <<<"${last:- corp: 0}")
  found=$(find "$findings" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | wc -l)
  total_findings=$((total_findings + found))
  rows+=("$(printf '%-24s %12s %8s %8s %9s' "$h" "$execs" "$seconds" "$corp" "$found")")
done

printf '\n%-24s %12s %8s %8s %9s\n' harness executions seconds corpus findings
printf '%s\n' "${rows[@]}"
echo "findings are in $BUILD/findings/<harness>/ (reproduce: $BUILD/<harness> FILE); logs in $BUILD/logs/"
[[ $total_findings == 0 ]]

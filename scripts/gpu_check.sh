#!/usr/bin/env bash
# One prepared run on the GPU machine (README, "GPU quick start"): versions, unpack the Debian packages brought in
# .deps/, build against the PyTorch wheel's CUDA LibTorch, run ctest (CUDA visible), HF parity
# fixtures, PEFT loading the adapters we write, a 1-rank NCCL launch of sample and train, and the
# benchmarks. Logs and fixtures go to $OUT.
# Steps are chosen with $LR_GPU_STEPS (default: "env build test parity peft dist bench"; also "evalbench");
# each step's failure is logged and the next one still runs.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
STEPS=${LR_GPU_STEPS:-"env build test parity peft dist bench"}
log() { echo "[$(date +%T)] $*" | tee -a "$OUT/summary.txt"; }
has() { [[ " $STEPS " == *" $1 "* ]]; }

if has env; then
  { nvidia-smi; nvcc --version; g++ --version; cmake --version; ninja --version;
    python3 -c 'import torch,transformers;print("torch",torch.__version__,"cuda",torch.version.cuda,"transformers",transformers.__version__)';
    python3 -c 'import peft;print("peft",peft.__version__)'; nproc; free -g; } > "$OUT/env.txt" 2>&1
  log "env: $(grep -m1 -o 'torch [^ ]*' "$OUT/env.txt") $(grep -m1 -o 'transformers [^ ]*' "$OUT/env.txt")"
fi

if has parity; then
  if timeout 300 python3 scripts/hf_parity_fixtures.py "$OUT" > "$OUT/parity.log" 2>&1; then
    log "parity fixtures: ok"; rm -rf "$OUT/hf_parity"
  else log "parity fixtures: FAILED (see parity.log)"; fi
fi

if has build; then
  mkdir -p /tmp/deps && for f in .deps/*.deb; do dpkg -x "$f" /tmp/deps; done
  export LD_LIBRARY_PATH=/tmp/deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
  export PKG_CONFIG_PATH=/tmp/deps/usr/lib/x86_64-linux-gnu/pkgconfig:/tmp/deps/usr/share/pkgconfig
  export PKG_CONFIG_SYSROOT_DIR=/tmp/deps
  TORCH_PREFIX=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
  if cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release -DLR_USE_CCACHE=OFF \
       -DCMAKE_PREFIX_PATH="$TORCH_PREFIX;/tmp/deps/usr" -DCMAKE_LIBRARY_ARCHITECTURE=x86_64-linux-gnu \
       -DCUDAToolkit_ROOT=${CUDA_HOME:-/usr/local/cuda} > "$OUT/build.log" 2>&1 \
     && timeout 400 cmake --build build-cuda -j16 >> "$OUT/build.log" 2>&1; then
    log "build: ok"; ./build-cuda/lightreasoner --version | tee -a "$OUT/summary.txt"
  else log "build: FAILED (tail of build.log follows)"; tail -25 "$OUT/build.log" >> "$OUT/summary.txt"; fi
fi

if has test && [ -x build-cuda/lightreasoner ]; then
  timeout 150 ctest --test-dir build-cuda -j16 --output-on-failure \
    > "$OUT/ctest.log" 2>&1
  log "ctest: $(grep -E 'tests passed|tests failed' "$OUT/ctest.log" | tail -1)"
fi

if has peft && [ -x build-cuda/test_lora ]; then
  # Our PEFT writer → PEFT: test_lora writes our adapter for each parity model (it exits 77, skipped,
  # until the result is committed), PEFT loads it and records its logits; commit
  # $OUT/hf_parity_peft/<arch>/peft_loads_ours.json as tests/fixtures/hf_parity/<arch>/peft_loads_ours.json.
  rm -rf /tmp/lr_peft_export
  LR_PEFT_EXPORT_DIR=/tmp/lr_peft_export build-cuda/test_lora --gtest_filter=Lora.AdaptersWeWriteArePeftLoadable \
    > "$OUT/peft.log" 2>&1
  if [ -f /tmp/lr_peft_export/qwen3/adapter_model.safetensors ] && timeout 300 python3 scripts/hf_parity_fixtures.py \
       --peft-check /tmp/lr_peft_export "$OUT" >> "$OUT/peft.log" 2>&1; then
    log "peft loads our adapters: ok ($OUT/hf_parity_peft)"
  else log "peft loads our adapters: FAILED (see peft.log)"; fi
fi

if has dist && [ -x build-cuda/lightreasoner ]; then
  # The NCCL path of data-parallel runs (dist/): a 1-rank torchrun-style launch of sample and train
  # on tiny models on cuda. The log must say "nccl on cuda:0"; 2+ GPUs would add real all-reduces.
  tok=tests/fixtures/stories260K/hf; d=/tmp/lr_dist; rm -rf $d; mkdir -p $d
  bin=build-cuda/lightreasoner
  $bin --log-level warn init --arch qwen2 --size tiny --std 0.1 --seed 1 --tokenizer "$tok" --out $d/expert > "$OUT/dist.log" 2>&1
  $bin --log-level warn init --arch llama --size tiny --std 0.1 --seed 2 --tokenizer "$tok" --out $d/amateur >> "$OUT/dist.log" 2>&1
  for i in 0 1 2 3 4 5 6 7; do echo "{\"id\": \"q$i\", \"question\": \"Tom had $i red balls and got 3 more.\"}"; done > $d/problems.jsonl
  sets="--set expert.path=\"$d/expert\" --set amateur.path=\"$d/amateur\" --set data.path=\"$d/problems.jsonl\"
    --set output_dir=\"$d/run\" --set device=\"cuda\" --set prompt.template=\"plain\" --set sample.max_new_tokens=16
    --set sample.batch_size=4 --set selection.beta=0.05 --set train.batch_size=2 --set train.max_steps=4"
  for cmd in sample train; do
    if RANK=0 LOCAL_RANK=0 WORLD_SIZE=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=29533 timeout 120 \
         $bin --dist-timeout 60 $cmd $sets >> "$OUT/dist.log" 2>&1; then
      log "dist $cmd (1 rank, $(grep -o '(nccl on [^)]*)\|(gloo on [^)]*)' "$OUT/dist.log" | tail -1)): ok"
    else log "dist $cmd: FAILED (tail of dist.log follows)"; tail -15 "$OUT/dist.log" >> "$OUT/summary.txt"; fi
  done
fi

if has bench && [ -d build-cuda ]; then
  # Sampling at the paper's shapes (random weights, bf16): ours batched vs the official loop in
  # transformers (one prompt at a time) and transformers batched, in the same run.
  bench() { echo "=== $*" >> "$OUT/bench.log"; timeout "${BENCH_TIMEOUT:-150}" "$@" >> "$OUT/bench.log" 2>&1; log "$1: exit $?"; }
  [ -x build-cuda/bench_sample ] && bench build-cuda/bench_sample --device cuda --expert qwen2.5-math-1.5b \
    --amateur qwen2.5-0.5b --batch 64 --rollouts 128 --new-tokens 128
  bench python3 scripts/hf_baseline_sample.py --rollouts 4 --batch 1
  bench python3 scripts/hf_baseline_sample.py --rollouts 128 --batch 64
  # Data-parallel scaling on CPU (Gloo, 1 vs 2 processes of 1 thread): this machine has idle cores.
  [ -x build-cuda/bench_dist ] && bench build-cuda/bench_dist
  for b in ${LR_GPU_BENCHES:-}; do [ -x "build-cuda/$b" ] && bench "build-cuda/$b" --device cuda; done
fi
if has evalbench && [ -x build-cuda/bench_eval ]; then
  # Model-backed eval at a release shape (random weights, bf16) against the bare generation loop.
  echo "=== bench_eval" >> "$OUT/bench.log"
  timeout "${BENCH_TIMEOUT:-150}" build-cuda/bench_eval --device cuda --preset qwen2.5-math-1.5b \
    --tokenizer tests/fixtures/qwen3-tokenizer --problems 128 --batch 64 --new-tokens 256 >> "$OUT/bench.log" 2>&1
  log "bench_eval: exit $?"
fi
log "done"

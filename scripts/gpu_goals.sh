#!/usr/bin/env bash
# Every speed goal of issue 18 in one call (≤ 8 minutes on one GPU): builds build-cuda/ if it is
# missing (as scripts/gpu_check.sh does: the pip wheel's CUDA LibTorch + the Debian packages in
# .deps/), maps the GPU to its nominal HBM bandwidth and bf16 dense peak, measures both (a 2 GiB
# read and an 8192³ GEMM), then prints ONE table of goal / measured / target / ratio / PASS-FAIL /
# device for: (1) decode ms/step at batch 64 and 128 for the 1.5B shape vs the HBM floor and vs
# transformers' batched generate with a static cache; (2) LoRA training tokens/s and MFU vs peak
# and vs an HF+PEFT loop with the same sparse-KL loss (scripts/hf_baseline_train.py); (3) the
# paper pipeline at the real shapes with random weights, a declared fraction extrapolated to
# 1000 rollouts × 128 tokens + 1000 updates × 16 samples (marked "extrapolated"); (4) a
# GSM8K-sized eval (1319 prompts, fixed spread of completion lengths) continuous vs static. Each
# decode call's prefill is also shown against its own weight GEMMs run alone (info).
# Every figure is warmed up; ours and the peer's come from this call on this device.
# (5) Peak memory: the sample, train and eval runs above print their peak device and host memory
# (core/stage_timer.h, the figures our commands log per stage), and the 7B expert's LoRA update at the
# paper's batch runs without and with activation checkpointing (target: fits one 80 GB GPU); the HF
# baselines print their own peak device memory.
#
# Usage: scripts/gpu_goals.sh [--device cuda|cpu] [--out DIR] [--build DIR]
#   --device cpu: a dry run at small shapes on this machine's CPU (uses build/ unless --build),
#   checking that every step runs and the table is produced; peers print "peer skipped: not
#   installed" where torch/transformers/peft are absent. CPU rows are not GPU goals: their
#   targets are marked n/a.
set -u
DEVICE=cuda; OUT=${OUT:-/tmp/gpu_goals}; BUILD=""
while [ $# -gt 0 ]; do
  case "$1" in
    --device) DEVICE=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    *) echo "gpu_goals.sh: unknown argument '$1' (expected --device cuda|cpu, --out DIR, --build DIR)" >&2; exit 2 ;;
  esac
done
case "$DEVICE" in cuda|cpu) ;; *) echo "gpu_goals.sh: --device must be cuda or cpu (got '$DEVICE')" >&2; exit 2 ;; esac
mkdir -p "$OUT"; : > "$OUT/rows.tsv"; LOG="$OUT/goals.log"; : > "$LOG"
START=$(date +%s)
log() { echo "[$(date +%T)] $*" | tee -a "$LOG"; }
# row GOAL MEASURED TARGET RATIO VERDICT
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$DEV_NAME" >> "$OUT/rows.tsv"; }
# field FILE KIND KEY [FILTER...]: the value of KEY on the last RESULT line of KIND matching every FILTER (k=v).
field() {
  local file=$1 kind=$2 key=$3; shift 3
  awk -v kind="$kind" -v key="$key" -v filters="$*" '
    $1 == "RESULT" { ok = ($2 == "kind=" kind); n = split(filters, f, " ");
      for (i = 1; i <= n; i++) { found = 0; for (j = 2; j <= NF; j++) if ($j == f[i]) found = 1; if (!found) ok = 0 }
      if (ok) for (j = 2; j <= NF; j++) { split($j, kv, "="); if (kv[1] == key) v = kv[2] } }
    END { print v }' "$file"
}
calc() { awk "BEGIN { v = $1; if (v != v) print \"n/a\"; else printf \"%.3g\", v }" 2>/dev/null || echo n/a; }
verdict() {  # verdict RATIO MIN: PASS when RATIO >= MIN
  awk -v r="$1" -v m="$2" 'BEGIN { if (r == "" || r == "n/a") print "n/a"; else if (r + 0 >= m + 0) print "PASS"; else print "FAIL" }'
}

# ---- the build ----
if [ -z "$BUILD" ]; then BUILD=$([ "$DEVICE" = cuda ] && echo build-cuda || echo build); fi
if [ "$DEVICE" = cuda ] && [ ! -x "$BUILD/bench_model" ]; then
  log "building $BUILD (LR_GPU_STEPS=build scripts/gpu_check.sh)"
  OUT="$OUT/build" LR_GPU_STEPS="env build" bash scripts/gpu_check.sh >> "$LOG" 2>&1
fi
for b in bench_model bench_train bench_sample; do
  if [ ! -x "$BUILD/$b" ]; then echo "gpu_goals.sh: $BUILD/$b is missing (build it: cmake --build $BUILD --target $b)" >&2; exit 1; fi
done

# ---- the device and its nominal peaks ----
if [ "$DEVICE" = cuda ]; then
  GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
  case "$GPU" in  # nominal HBM GB/s and dense bf16 TFLOP/s (vendor data sheets)
    *H200*) NOM_BW=4800; NOM_TF=989 ;;
    *H100*PCIe*) NOM_BW=2000; NOM_TF=756 ;;
    *H100*) NOM_BW=3350; NOM_TF=989 ;;
    *A100*80GB*) NOM_BW=2039; NOM_TF=312 ;;
    *A100*) NOM_BW=1555; NOM_TF=312 ;;
    *L40S*) NOM_BW=864; NOM_TF=362 ;;
    *) NOM_BW=""; NOM_TF="" ;;
  esac
  DEV_NAME="${GPU:-unknown GPU}"
  DT=bf16; EXPERT=qwen2.5-math-1.5b; AMATEUR=qwen2.5-0.5b; BATCHES="64 128"; NEW=128; PROMPT=96
  TRAIN_ROWS=16; TRAIN_STEPS=16; SAMPLE_ROLLOUTS=256; SAMPLE_BATCH=64; EVAL_PROMPTS=1319; EVAL_MAX_NEW=512; PEER_SHAPE=$EXPERT
else
  DEV_NAME="cpu ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))"
  NOM_BW=""; NOM_TF=""
  DT=f32; EXPERT=small; AMATEUR=""; BATCHES="4 8"; NEW=8; PROMPT=16
  TRAIN_ROWS=2; TRAIN_STEPS=2; SAMPLE_ROLLOUTS=4; SAMPLE_BATCH=2; EVAL_PROMPTS=24; EVAL_MAX_NEW=16; PEER_SHAPE=small
fi
log "device: $DEV_NAME (nominal ${NOM_BW:-?} GB/s, ${NOM_TF:-?} TFLOP/s bf16)"

# ---- (0) measured read bandwidth and GEMM rate ----
"$BUILD/bench_model" --device "$DEVICE" --peak 1 --dtypes "$DT" > "$OUT/peak.txt" 2>&1
BW=$(field "$OUT/peak.txt" peak read_gbs); TF=$(field "$OUT/peak.txt" peak gemm_tflops)
GEMM_N=$(field "$OUT/peak.txt" peak gemm)
row "read bandwidth GB/s (a sum)" "${BW:-n/a}" "${NOM_BW:-n/a}" "$([ -n "$NOM_BW" ] && calc "$BW / $NOM_BW" || echo n/a)" "info"
row "GEMM ${GEMM_N}^3 $DT TFLOP/s" "${TF:-n/a}" "${NOM_TF:-n/a}" "$([ -n "$NOM_TF" ] && calc "$TF / $NOM_TF" || echo n/a)" "info"
PEAK_TF=${NOM_TF:-$TF}  # MFU against the nominal peak where known, else the measured GEMM

# ---- (1) decode: ms/step vs the HBM floor and vs transformers generate (static cache) ----
for B in $BATCHES; do
  "$BUILD/bench_model" --device "$DEVICE" --preset "$EXPERT" --dtypes "$DT" --batches "$B" --prompt-len "$PROMPT" \
    --steps "$NEW" --repeats 2 --engine continuous > "$OUT/decode_$B.txt" 2>&1
  MS=$(field "$OUT/decode_$B.txt" model ms_per_step "batch=$B")
  FLOOR=$(field "$OUT/decode_$B.txt" model floor_ms "batch=$B")
  R=$(calc "$FLOOR / $MS"); row "decode b$B ms/step vs HBM floor" "${MS:-n/a}" "floor ${FLOOR:-n/a} ms (>= 0.5 of it)" "$R" \
    "$([ "$DEVICE" = cuda ] && verdict "$R" 0.5 || echo n/a)"
  # The same call's prefill beside its own weight GEMMs run alone (where prefill's non-GEMM time goes).
  PF=$(field "$OUT/decode_$B.txt" model prefill_tok_s "batch=$B")
  PG=$(field "$OUT/decode_$B.txt" model prefill_of_gemms_alone "batch=$B")
  row "prefill b$B tokens/s, of its weight GEMMs run alone" "${PF:-n/a}" "-" "${PG:-n/a}" "info"
  python3 scripts/hf_baseline_decode.py --device "$DEVICE" --shape "$PEER_SHAPE" --batch "$B" --new-tokens "$NEW" \
    --prompt-len "$PROMPT" > "$OUT/hf_decode_$B.txt" 2>&1
  if grep -q "^hf_baseline_decode:" "$OUT/hf_decode_$B.txt"; then
    HF=$(grep -o 'decode_ms_per_step [0-9.]*' "$OUT/hf_decode_$B.txt" | awk '{print $2}')
    R=$(calc "$HF / $MS"); row "decode b$B vs transformers static-cache generate (x faster)" "${MS} vs ${HF} ms" ">= 1" "$R" "$(verdict "$R" 1)"
  else
    row "decode b$B vs transformers static-cache generate" "$(tail -1 "$OUT/hf_decode_$B.txt")" ">= 1" "n/a" "n/a"
  fi
done

# ---- (2) LoRA training tokens/s, MFU, vs HF+PEFT ----
"$BUILD/bench_train" --device "$DEVICE" --preset "$EXPERT" --steps "$TRAIN_STEPS" --rollouts-per-batch "$TRAIN_ROWS" \
  > "$OUT/train.txt" 2>&1
TOKS=$(field "$OUT/train.txt" train tokens_s "packing=trajectory pack_tokens=0"); MFU_FLOPS=$(field "$OUT/train.txt" train gflops "packing=trajectory pack_tokens=0")
GEMM_SHARE=$(field "$OUT/train.txt" train gemm_share "packing=trajectory pack_tokens=0")
MFU=$(calc "$MFU_FLOPS / 1000 / $PEAK_TF")
row "LoRA train tokens/s (trajectory packing)" "${TOKS:-n/a}" "-" "-" "info"
PACKED_TOKS=$(field "$OUT/train.txt" train tokens_s "packing=step pack_tokens=1024")
STEP_TOKS=$(field "$OUT/train.txt" train tokens_s "packing=step pack_tokens=0")
R=$(calc "$PACKED_TOKS / $STEP_TOKS")
row "LoRA train tokens/s, step packing: rows packed to 1024 tokens vs padded (x)" "${PACKED_TOKS:-n/a} vs ${STEP_TOKS:-n/a}" "-" "$R" "info"
row "LoRA train: its GEMMs alone / step time" "${GEMM_SHARE:-n/a}" ">= 0.4" "${GEMM_SHARE:-n/a}" "$(verdict "$GEMM_SHARE" 0.4)"
row "LoRA train MFU vs $DT peak" "${MFU}" ">= 0.3" "$MFU" "$([ "$DEVICE" = cuda ] && verdict "$MFU" 0.3 || echo n/a)"
python3 scripts/hf_baseline_train.py --device "$DEVICE" --shape "$PEER_SHAPE" --steps "$TRAIN_STEPS" \
  --rollouts-per-batch "$TRAIN_ROWS" > "$OUT/hf_train.txt" 2>&1
if grep -q "^hf_baseline_train:" "$OUT/hf_train.txt"; then
  HF=$(grep -o 'tokens/s [0-9.]*' "$OUT/hf_train.txt" | awk '{print $2}')
  R=$(calc "$TOKS / $HF"); row "LoRA train vs HF+PEFT (x faster)" "$TOKS vs $HF tok/s" ">= 10" "$R" "$(verdict "$R" 10)"
else
  row "LoRA train vs HF+PEFT" "$(tail -1 "$OUT/hf_train.txt")" ">= 10" "n/a" "n/a"
fi

# ---- (3) the paper pipeline at a declared fraction, extrapolated ----
SAMPLE_ARGS=(--device "$DEVICE" --expert "$EXPERT" --batch "$SAMPLE_BATCH" --rollouts "$SAMPLE_ROLLOUTS" --new-tokens "$NEW")
[ -n "$AMATEUR" ] && SAMPLE_ARGS+=(--amateur "$AMATEUR")
"$BUILD/bench_sample" "${SAMPLE_ARGS[@]}" > "$OUT/sample.txt" 2>&1
SAMPLE_S=$(grep -o 'end to end *: *[0-9.]* s' "$OUT/sample.txt" | grep -o '[0-9.]* s' | awk '{print $1}' | tail -1)
TRAIN_S=$(field "$OUT/train.txt" train seconds "packing=trajectory pack_tokens=0")
TRAIN_DONE=$(field "$OUT/train.txt" train steps "packing=trajectory pack_tokens=0")
if [ -n "$SAMPLE_S" ] && [ -n "$TRAIN_S" ] && [ -n "$TRAIN_DONE" ]; then
  # 1000 rollouts sampled and 1000 updates of 16 step samples (ours: TRAIN_ROWS rollouts per update).
  WHOLE=$(calc "$SAMPLE_S * 1000 / $SAMPLE_ROLLOUTS + $TRAIN_S * 1000 / $TRAIN_DONE")
  row "paper pipeline s (extrapolated from $SAMPLE_ROLLOUTS rollouts + $TRAIN_DONE updates)" "$WHOLE" "<= 120" \
    "$(calc "120 / $WHOLE")" "$([ "$DEVICE" = cuda ] && verdict "$(calc "120 / $WHOLE")" 1 || echo n/a)"
else
  row "paper pipeline s (extrapolated)" "n/a (see sample.txt, train.txt)" "<= 120" "n/a" "n/a"
fi

# ---- (4) GSM8K-sized eval: continuous vs static batches ----
"$BUILD/bench_model" --device "$DEVICE" --preset "$EXPERT" --dtypes "$DT" --eval "$EVAL_PROMPTS" --eval-batch 64 \
  --eval-max-new "$EVAL_MAX_NEW" --prompt-len "$PROMPT" --engine both > "$OUT/eval.txt" 2>&1
C=$(field "$OUT/eval.txt" eval seconds "engine=continuous"); S=$(field "$OUT/eval.txt" eval seconds "engine=static")
R=$(calc "$S / $C")
row "eval $EVAL_PROMPTS prompts s (continuous vs static x faster)" "$C vs $S s" ">= 1.3" "$R" "$(verdict "$R" 1.3)"

# ---- (5) peak memory per stage: the runs above, then the 7B expert's LoRA update at the paper's batch ----
# (16 step samples, step packing as the official code trains) without and with activation checkpointing.
# peaks FILE KIND [FILTER...]: "device D / host H" in MB on a GPU ("n/a" where one is missing), "host H" on
# the CPU (no device there).
peaks() {
  local d h
  d=$(field "$1" "$2" peak_device_mb "${@:3}"); h=$(field "$1" "$2" peak_host_mb "${@:3}")
  if [ "$DEVICE" = cuda ]; then echo "device ${d:-n/a} / host ${h:-n/a}"; else echo "host ${h:-n/a}"; fi
}
row "peak memory MB, sample, $SAMPLE_BATCH rollouts at once" "$(peaks "$OUT/sample.txt" sample)" "-" "-" "info"
row "peak memory MB, train, $TRAIN_ROWS rollouts an update, trajectory packing" \
  "$(peaks "$OUT/train.txt" train "packing=trajectory pack_tokens=0")" "-" "-" "info"
row "peak memory MB, eval, continuous, 64 rows" "$(peaks "$OUT/eval.txt" eval "engine=continuous")" "-" "-" "info"
if [ "$DEVICE" = cuda ]; then MEM_EXPERT=qwen2.5-math-7b; else MEM_EXPERT=$EXPERT; fi
for AC in 0 1; do
  "$BUILD/bench_train" --device "$DEVICE" --preset "$MEM_EXPERT" --steps 2 --rollouts-per-batch 1 --selected 16 \
    --only step --activation-checkpointing "$AC" > "$OUT/train_memory_ac$AC.txt" 2>&1
  M=$(peaks "$OUT/train_memory_ac$AC.txt" train "packing=step pack_tokens=0")
  if [ "$AC" = 1 ]; then
    D=$(field "$OUT/train_memory_ac1.txt" train peak_device_mb "packing=step pack_tokens=0")
    if [ -n "$D" ] && [ "$D" != n/a ]; then R=$(calc "80000 / $D"); else R=n/a; fi
    row "peak memory MB, $MEM_EXPERT LoRA update of 16 steps, activation checkpointing (fits 80 GB)" "$M" \
      "device < 80000" "$R" "$([ "$DEVICE" = cuda ] && verdict "$R" 1 || echo n/a)"
  else
    row "peak memory MB, $MEM_EXPERT LoRA update of 16 steps, no checkpointing" "$M" "-" "-" "info"
  fi
done

# ---- the table ----
{
  echo
  echo "| goal | measured | target | ratio | verdict | device |"
  echo "|---|---|---|---|---|---|"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$OUT/rows.tsv"
  echo
  echo "gpu_goals.sh --device $DEVICE: $(( $(date +%s) - START )) s; logs in $OUT"
} | tee "$OUT/table.md"

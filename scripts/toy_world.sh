#!/usr/bin/env bash
# The toy world, end to end, from nothing, on a CPU: generate GSM8K-style arithmetic word problems
# → train a sentencepiece tokenizer → init + full-parameter SFT of an expert and a smaller, shorter-
# trained amateur → baseline eval of the expert → LightReasoner (sample + train) → eval → the
# paper's comparisons (rejection-sampled SFT with the same LoRA settings; no-selection and
# no-contrast ablations) → results table (markdown + json) and PNG plots (scripts/world_report.py).
# Every stage is cached in its output directory (a .done file holding the command that made it), so
# a rerun reuses the data, tokenizer, expert and amateur and redoes only what changed.
#
# usage: scripts/toy_world.sh [--ci] [--seed N]... [--out DIR] [--bin PATH]
#   --ci       the CI-sized world (tiny models, few steps; the test suite runs it), ~20 s on 2 cores
#   --seed N   run seed (model init, training shuffles); repeat for several seeds; default 1
#   --out DIR  where everything goes (default runs/world, or runs/world-ci with --ci)
#   --bin PATH the lightreasoner binary (default build/lightreasoner)
# The world (data + tokenizer) is fixed by WORLD_SEED (default 0) so every run seed is evaluated
# on the same test split; sizes can be changed by the variables below (environment wins).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=full
seeds=()
out=""
bin=build/lightreasoner
while [ $# -gt 0 ]; do
  case "$1" in
    --ci) profile=ci ;;
    --seed) seeds+=("$2"); shift ;;
    --out) out="$2"; shift ;;
    --bin) bin="$2"; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "toy_world: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ ${#seeds[@]} -gt 0 ] || seeds=(1)
[ -x "$bin" ] || { echo "toy_world: $bin not found; build first (cmake --build build) or pass --bin" >&2; exit 2; }

# ---- sizes (full: docs/worlds.md's world; ci: just enough to exercise every stage) ----
if [ "$profile" = full ]; then
  # Chosen on the valid split only (docs/worlds.md, the instruct-analog world): the expert's SFT has a sharp transition
  # whose step depends on the seed (d 64 at 1500 steps: 47/12/20% on valid for seeds 1-3); at 3000
  # steps every seed tried is past it (79/56/89%). The amateur is a smaller model trained a third as
  # long (4-5%). LightReasoner: 500 problems, 200 LoRA steps at lr 2e-4 (lr 1e-3 cost an expert 4
  # points on valid, 2e-4 one).
  : "${WORLD_TRAIN:=20000}" "${WORLD_VALID:=1000}" "${WORLD_TEST:=1000}" "${WORLD_VOCAB:=384}"
  : "${EXPERT_SHAPE:=--hidden-size 64 --intermediate-size 128 --layers 2 --heads 4 --kv-heads 2}"
  : "${AMATEUR_SHAPE:=--hidden-size 32 --intermediate-size 64 --layers 2 --heads 4 --kv-heads 2}"
  : "${EXPERT_STEPS:=3000}" "${AMATEUR_STEPS:=1000}" "${SFT_BATCH:=16}" "${EXPERT_LR:=6e-3}" "${AMATEUR_LR:=6e-3}"
  : "${LR_PROBLEMS:=500}" "${LR_STEPS:=200}"
  out=${out:-runs/world}
else
  : "${WORLD_TRAIN:=400}" "${WORLD_VALID:=20}" "${WORLD_TEST:=24}" "${WORLD_VOCAB:=120}"
  : "${EXPERT_SHAPE:=--hidden-size 32 --intermediate-size 64 --layers 1 --heads 2 --kv-heads 1}"
  : "${AMATEUR_SHAPE:=--hidden-size 16 --intermediate-size 32 --layers 1 --heads 2 --kv-heads 1}"
  : "${EXPERT_STEPS:=80}" "${AMATEUR_STEPS:=10}" "${SFT_BATCH:=8}" "${EXPERT_LR:=6e-3}" "${AMATEUR_LR:=6e-3}"
  : "${LR_PROBLEMS:=16}" "${LR_STEPS:=6}"
  out=${out:-runs/world-ci}
fi
: "${WORLD_SEED:=0}" "${MAX_NEW_TOKENS:=128}"
# A failed stage stops the script; a model training in the background stops with it.
trap 'kill $(jobs -p) 2> /dev/null || true' EXIT
# shellcheck source=scripts/world_lib.sh
. scripts/world_lib.sh

world=$out/world
world_setup "$world"
train=$world/data/train.jsonl
test=$world/data/test.jsonl
world_rebuilt=$rebuilt

for seed in "${seeds[@]}"; do
  run=$out/seed-$seed
  echo "=== seed $seed ($run)"
  rebuilt=$world_rebuilt
  # The expert and the amateur train at the same time, one core each: their matrices are too small
  # for a second thread to speed up one model (measured: 2 threads run one SFT at 0.6x the speed of
  # 1), so two processes use the two cores. The amateur's output goes to its log, shown afterwards.
  train_model() {  # ROLE SHAPE INIT-SEED STEPS LR: init + full-parameter SFT (configs/world-ROLE.json)
    local role=$1 shape=$2 init_seed=$3 steps=$4 lr_peak=$5
    # shellcheck disable=SC2086  # the shape is an option list
    stage "$role: init" "$run/$role-init" \
      lr init --arch qwen2 --size tiny --vocab-size "$WORLD_VOCAB" $shape --seed "$init_seed" --std 0.02 \
        --tokenizer "$world/tokenizer" --out "$run/$role-init"
    stage "$role: full-parameter SFT" "$run/$role" \
      lr sft --config "configs/world-$role.json" --set "expert.path=$run/$role-init" --set "data.path=$train" \
        --set "output_dir=$run/$role" --set "seed=$seed" --set "train.max_steps=$steps" \
        --set "train.batch_size=$SFT_BATCH" --set "optim.lr=$lr_peak"
  }
  mkdir -p "$run"
  echo "amateur: training beside the expert (log: $run/amateur.log)"
  ( stage_number=$((stage_number + 2)); train_model amateur "$AMATEUR_SHAPE" "$((seed + 1000))" "$AMATEUR_STEPS" "$AMATEUR_LR"; echo "$rebuilt" > "$run/.amateur-rebuilt" ) \
    > "$run/amateur.log" 2>&1 &
  amateur_pid=$!
  train_model expert "$EXPERT_SHAPE" "$seed" "$EXPERT_STEPS" "$EXPERT_LR"
  if ! wait "$amateur_pid"; then
    cat "$run/amateur.log" >&2
    echo "toy_world: the amateur's training failed (its log is above)" >&2
    exit 1
  fi
  cat "$run/amateur.log"
  stage_number=$((stage_number + 2))
  [ "$(cat "$run/.amateur-rebuilt")" = 0 ] || rebuilt=1

  # The method and its comparisons: one base config, one key changed per variant.
  common=(--config configs/world-lightreasoner.json --set "expert.path=$run/expert/model"
          --set "amateur.path=$run/amateur/model" --set "data.path=$train" --set "seed=$seed"
          --set "data.max_problems=$LR_PROBLEMS" --set "train.max_steps=$LR_STEPS"
          --set "sample.max_new_tokens=$MAX_NEW_TOKENS" --set "sft.max_new_tokens=$MAX_NEW_TOKENS")
  stage "LightReasoner: sample + train" "$run/lightreasoner" contrast_run "$run/lightreasoner" "${common[@]}"
  stage "ablation: no selection" "$run/no-selection" \
    contrast_run "$run/no-selection" "${common[@]}" --set selection.enabled=false
  stage "ablation: no contrast" "$run/no-contrast" \
    contrast_run "$run/no-contrast" "${common[@]}" --set target.kind=expert
  # train.batch_size counts selected steps for the contrast runs (300, about 16 rollouts) but whole
  # sequences for SFT: 16 sequences per update keeps the baseline at the same updates and about the
  # same tokens (the paper's SFT, and docs/worlds.md's table), not 300 sequences, ~19x the tokens.
  stage "baseline: rejection-sampled SFT (same LoRA)" "$run/rejection-sft" \
    rejection_run "$run/rejection-sft" "${common[@]}" --set sft.source=rejection --set train.batch_size=16

  # Every variant on the same test split, greedy, the toolkit's "cot" prompt (= question-answer).
  evaluate() {  # NAME MODEL [ADAPTER]
    local name=$1 model=$2 adapter=${3:-}
    if [ -n "$adapter" ] && [ ! -d "$adapter" ]; then
      echo "[eval: $name] skipped: no adapter was trained ($adapter)"
      return
    fi
    stage "eval: $name" "$run/eval/$name" \
      lr eval "${common[@]}" --model "$model" ${adapter:+--adapter "$adapter"} --data "$test" --template cot \
        --max-new-tokens "$MAX_NEW_TOKENS" --out "$run/eval/$name"
  }
  evaluate amateur "$run/amateur/model"
  evaluate expert "$run/expert/model"
  evaluate lightreasoner "$run/expert/model" "$run/lightreasoner/adapter"
  evaluate no-selection "$run/expert/model" "$run/no-selection/adapter"
  evaluate no-contrast "$run/expert/model" "$run/no-contrast/adapter"
  evaluate rejection-sft "$run/expert/model" "$run/rejection-sft/adapter"
done

# The train split's reference solutions as token ids (the report's gold path). Only the report reads
# them: this comes last so that making it never invalidates a trained stage.
stage "world: tokenize the reference solutions" "$world/reference" reference_ids "$world" "$train"
echo "=== results"
/usr/bin/python3 scripts/world_report.py "$out" "${seeds[@]/#/seed-}"

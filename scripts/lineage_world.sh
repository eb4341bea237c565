#!/usr/bin/env bash
# The lineage world (the README's main command): the paper's winning setting in miniature, from
# nothing, on a CPU. One generated world of arithmetic word problems gives a *general* corpus
# ("Question: ...\nAnswer: 57" documents, a share of them answered with a worked solution instead,
# stories, one-step arithmetic facts) and a *math* corpus (worked solutions after
# "Question: ...\nSolution:", ending "The answer is N.", mixed with general documents). One lineage
# of models, trained from random weights:
#   G  general base (the Qwen2.5-1.5B analog)      init → general corpus
#   E  expert = G continued on the math corpus      (Qwen2.5-Math-1.5B)
#   A  small general model (Qwen2.5-0.5B analog)    smaller init → general corpus
#   W  same-domain weaker amateur = A continued on the math corpus
#   S  stronger amateur = E tuned on the evaluation format with worked solutions (the -Instruct analog)
# Then, zero-shot "Question: {q}\nAnswer:" (the base-model setting, greedy, GSM8K grading):
# baseline E; LightReasoner with amateur G (the main run), with A, W and S (Table 5's sweep);
# its ablations without selection, without contrast, neither (Table 6); rejection-sampled SFT with
# the same LoRA budget; amateur G with t = 0 skipped (the official code's default);
# scripts/lineage_report.py writes the tables (paired intervals, the reasoning-first rate, target
# shapes, gold path).
#
# usage: scripts/lineage_world.sh [--ci] [--ancestor] [--seed N]... [--split valid|test] [--models-only] [--out DIR] [--bin PATH]
#   --ci           the CI-sized world (tiny models, few steps; tests/test_world.cpp runs it)
#   --ancestor     the ancestor world: the worked "Answer:" documents only in the math corpus, so G
#                  lacks the expert's reasoning mode (REASONED_ANSWERS_IN=math; default out runs/lineage-ancestor)
#   --seed N       run seed (model inits, training order); repeat for several; default 1
#   --split S      evaluate on valid (choosing sizes) or test (the reported runs; default)
#   --models-only  train and evaluate the models only, no LightReasoner run (baseline-only choices)
#   --out DIR      default runs/lineage (runs/lineage-ci with --ci)
#   --bin PATH     the lightreasoner binary (default build/lightreasoner)
# Sizes are the variables below (the environment wins); every stage is cached as in toy_world.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=full
seeds=()
out=""
split=test
models_only=0
bin=build/lightreasoner
while [ $# -gt 0 ]; do
  case "$1" in
    --ci) profile=ci ;;
    --ancestor) REASONED_ANSWERS_IN=math ;;
    --seed) seeds+=("$2"); shift ;;
    --split) split="$2"; shift ;;
    --models-only) models_only=1 ;;
    --out) out="$2"; shift ;;
    --bin) bin="$2"; shift ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "lineage_world: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ ${#seeds[@]} -gt 0 ] || seeds=(1)
case "$split" in valid|test) ;; *) echo "lineage_world: --split must be valid or test, got '$split'" >&2; exit 2 ;; esac
[ -x "$bin" ] || { echo "lineage_world: $bin not found; build first (cmake --build build) or pass --bin" >&2; exit 2; }

# ---- sizes (full: docs/worlds.md's world, chosen on valid; ci: just enough to exercise every stage) ----
if [ "$profile" = full ]; then
  : "${WORLD_TRAIN:=20000}" "${WORLD_VALID:=1000}" "${WORLD_TEST:=1000}" "${WORLD_VOCAB:=384}" "${FACT_DOCS:=4000}"
  # The reasoned share and E's steps were chosen on valid (seed 1) by docs/worlds.md's baseline-only
  # criteria, for each placement of the worked answers.
  if [ "${REASONED_ANSWERS_IN:-general}" = math ]; then
    : "${REASONED_ANSWER_SHARE:=0.06}"
    out=${out:-runs/lineage-ancestor}
  fi
  : "${MATH_GENERAL_SHARE:=0.25}" "${REASONED_ANSWER_SHARE:=0.45}"
  : "${G_SHAPE:=--hidden-size 64 --intermediate-size 128 --layers 2 --heads 4 --kv-heads 2}"
  : "${A_SHAPE:=--hidden-size 32 --intermediate-size 64 --layers 2 --heads 4 --kv-heads 2}"
  : "${G_STEPS:=1500}" "${E_STEPS:=6000}" "${A_STEPS:=1000}" "${W_STEPS:=1000}" "${S_STEPS:=300}"
  : "${PRE_LR:=6e-3}" "${CONT_LR:=6e-3}" "${SFT_BATCH:=16}"
  : "${LR_PROBLEMS:=500}" "${LR_STEPS:=200}" "${LORA_LR:=2e-4}" "${BETA:=0.4}"
  out=${out:-runs/lineage}
else
  : "${WORLD_TRAIN:=400}" "${WORLD_VALID:=20}" "${WORLD_TEST:=24}" "${WORLD_VOCAB:=160}" "${FACT_DOCS:=40}"
  : "${MATH_GENERAL_SHARE:=0.25}" "${REASONED_ANSWER_SHARE:=0.2}"
  : "${G_SHAPE:=--hidden-size 32 --intermediate-size 64 --layers 1 --heads 2 --kv-heads 1}"
  : "${A_SHAPE:=--hidden-size 16 --intermediate-size 32 --layers 1 --heads 2 --kv-heads 1}"
  : "${G_STEPS:=30}" "${E_STEPS:=30}" "${A_STEPS:=10}" "${W_STEPS:=10}" "${S_STEPS:=10}"
  : "${PRE_LR:=6e-3}" "${CONT_LR:=3e-3}" "${SFT_BATCH:=8}"
  # β near 0: 30-step models barely differ, and every stage needs a selected step to run.
  : "${LR_PROBLEMS:=16}" "${LR_STEPS:=6}" "${LORA_LR:=2e-4}" "${BETA:=0.001}"
  out=${out:-runs/lineage-ci}
fi
: "${WORLD_SEED:=0}" "${MAX_NEW_TOKENS:=128}"
trap 'kill $(jobs -p) 2> /dev/null || true' EXIT
# shellcheck source=scripts/world_lib.sh
. scripts/world_lib.sh

world=$out/world
data=$world/data
stage "world: generate problems and corpora" "$data" \
  lr world generate --out "$data" --seed "$WORLD_SEED" --train "$WORLD_TRAIN" --valid "$WORLD_VALID" --test "$WORLD_TEST" \
    --corpora --fact-documents "$FACT_DOCS" --math-general-share "$MATH_GENERAL_SHARE" \
    --reasoned-answer-share "$REASONED_ANSWER_SHARE" ${REASONED_ANSWERS_IN:+--reasoned-answers-in "$REASONED_ANSWERS_IN"}
stage "world: train the tokenizer" "$world/tokenizer" \
  lr world tokenizer --corpus "$data/lineage-corpus.txt" --out "$world/tokenizer" --vocab-size "$WORLD_VOCAB"
eval_data=$data/$split.jsonl
world_rebuilt=$rebuilt

for seed in "${seeds[@]}"; do
  run=$out/seed-$seed
  echo "=== seed $seed ($run, evaluating on $split)"
  rebuilt=$world_rebuilt
  mkdir -p "$run"
  # One model stage: full-parameter training of FROM (a model directory) on CORPUS (configs/world-lineage-pretrain.json).
  train_on() {  # NAME FROM CORPUS STEPS LR
    local name=$1 from=$2 corpus=$3 steps=$4 lr_peak=$5
    stage "$name: train on $(basename "$corpus")" "$run/$name" \
      lr sft --config configs/world-lineage-pretrain.json --set "expert.path=$from" --set "data.path=$corpus" \
        --set "output_dir=$run/$name" --set "seed=$seed" --set "train.max_steps=$steps" \
        --set "train.batch_size=$SFT_BATCH" --set "optim.lr=$lr_peak"
  }
  init() {  # NAME SHAPE INIT-SEED
    # shellcheck disable=SC2086  # the shape is an option list
    stage "$1: init" "$run/$1-init" \
      lr init --arch qwen2 --size tiny --vocab-size "$WORLD_VOCAB" $2 --seed "$3" --std 0.02 \
        --tokenizer "$world/tokenizer" --out "$run/$1-init"
  }
  # Two lanes, one core each: the small lineage (A → W) beside the large one (G → E → S).
  echo "small lineage (A, W): training beside G and E (log: $run/small.log)"
  ( stage_number=$((stage_number + 10))
    init A "$A_SHAPE" "$((seed + 1000))"
    train_on A "$run/A-init" "$data/general.jsonl" "$A_STEPS" "$PRE_LR"
    train_on W "$run/A/model" "$data/math.jsonl" "$W_STEPS" "$CONT_LR"
    echo "$rebuilt" > "$run/.small-rebuilt" ) > "$run/small.log" 2>&1 &
  small_pid=$!
  init G "$G_SHAPE" "$seed"
  train_on G "$run/G-init" "$data/general.jsonl" "$G_STEPS" "$PRE_LR"
  train_on E "$run/G/model" "$data/math.jsonl" "$E_STEPS" "$CONT_LR"
  train_on S "$run/E/model" "$data/instruct.jsonl" "$S_STEPS" "$CONT_LR"
  if ! wait "$small_pid"; then
    cat "$run/small.log" >&2
    echo "lineage_world: the small lineage's training failed (its log is above)" >&2
    exit 1
  fi
  cat "$run/small.log"
  large_rebuilt=$rebuilt
  [ "$(cat "$run/.small-rebuilt")" = 0 ] || rebuilt=1

  # Every model and variant: zero-shot "Question: {q}\nAnswer:" (the toolkit's cot input for a
  # base model), greedy, the last number graded with the GSM8K rules.
  common=(--config configs/world-lineage-lightreasoner.json --set "expert.path=$run/E/model"
          --set "data.path=$data/train.jsonl" --set "seed=$seed" --set "data.max_problems=$LR_PROBLEMS"
          --set "train.max_steps=$LR_STEPS" --set "optim.lr=$LORA_LR" --set "selection.beta=$BETA"
          --set "sample.max_new_tokens=$MAX_NEW_TOKENS" --set "sft.max_new_tokens=$MAX_NEW_TOKENS")
  evaluate() {  # NAME MODEL [ADAPTER]
    local name=$1 model=$2 adapter=${3:-}
    if [ -n "$adapter" ] && [ ! -d "$adapter" ]; then
      echo "[eval: $name] skipped: no adapter was trained ($adapter)"
      return
    fi
    stage "eval ($split): $name" "$run/eval-$split/$name" \
      lr eval "${common[@]}" --model "$model" ${adapter:+--adapter "$adapter"} --data "$eval_data" --template cot --any-template \
        --max-new-tokens "$MAX_NEW_TOKENS" --out "$run/eval-$split/$name"
  }
  # Evaluations depend on their model only: a cached model keeps its cached evaluation.
  for model in G E A W S; do
    saved=$rebuilt
    case $model in A|W) rebuilt=$([ "$(cat "$run/.small-rebuilt")" = 0 ] && echo 0 || echo 1) ;; *) rebuilt=$large_rebuilt ;; esac
    evaluate "$model" "$run/$model/model"
    rebuilt=$saved
  done
  [ "$models_only" = 0 ] || continue

  variant() {  # NAME AMATEUR-MODEL SETTINGS...
    local name=$1 amateur=$2
    shift 2
    stage "LightReasoner ($name): sample + train" "$run/$name" \
      contrast_run "$run/$name" "${common[@]}" --set "amateur.path=$amateur" "$@"
    evaluate "$name" "$run/E/model" "$run/$name/adapter"
  }
  variant lr-G "$run/G/model"
  variant no-contrast "$run/G/model" --set target.kind=expert
  variant no-selection "$run/G/model" --set selection.enabled=false
  variant neither "$run/G/model" --set selection.enabled=false --set target.kind=expert
  variant lr-A "$run/A/model"
  variant lr-W "$run/W/model"
  variant lr-S "$run/S/model"
  stage "baseline: rejection-sampled SFT (same LoRA)" "$run/rejection-sft" \
    rejection_run "$run/rejection-sft" "${common[@]}" --set sft.source=rejection
  evaluate rejection-sft "$run/E/model" "$run/rejection-sft/adapter"
  # The official code's default: t = 0 never selected (configs/default.json). Last, so that adding
  # it re-ran no earlier stage.
  variant lr-G-t1 "$run/G/model" --set sample.skip_first_step=true
done

lineage_reference_ids() {  # the train split's reference solutions as token ids (the report's gold path)
  mkdir -p "$world/reference"
  # The worked solution as the world's documents write it (lineage_report.py rebuilds the same text).
  /usr/bin/python3 - "$data/train.jsonl" > "$world/reference/solutions.jsonl" <<'PY'
import json, re, sys
for line in open(sys.argv[1], encoding="utf-8"):
    p = json.loads(line)
    head, n = p["answer"].rsplit("#### ", 1)
    print(json.dumps({"id": p["id"], "answer": " " + head + "The answer is " + n.strip() + "."}))
PY
  reference_ids "$world" "$world/reference/solutions.jsonl"
  # The first token of each digit as it follows "Answer:" (the report's answer-first test at t = 0).
  for d in 0 1 2 3 4 5 6 7 8 9; do echo "{\"answer\": \"$d\"}"; done > "$world/reference/digits.jsonl"
  LR_LOG_LEVEL=warn lr tokenize --model "$world/tokenizer" --file "$world/reference/digits.jsonl" --field answer \
    --no-special --json | /usr/bin/python3 -c 'import json, sys; print(json.dumps([json.loads(l)[0] for l in sys.stdin if l.strip()]))' \
    > "$world/reference/number_start.json"
}
stage "world: tokenize the reference solutions" "$world/reference" lineage_reference_ids
echo "=== results ($split split)"
/usr/bin/python3 scripts/lineage_report.py "$out" "$split" "${seeds[@]/#/seed-}"

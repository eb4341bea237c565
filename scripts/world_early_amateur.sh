#!/usr/bin/env bash
# The cheap test of the instruct-analog world's "not nested" diagnosis (docs/worlds.md): there, every
# amateur was a separately initialised model, and the contrast argmax was right less often than the
# expert's own at its uncertain gold-path steps — explained as "small models trained from scratch
# learn different skills, not nested ones". Here the amateur is the expert's *own* run at an early
# checkpoint (same init, same data order, fewer steps): nested by construction. If the contrast
# argmax is still right less often than the expert's at uncertain gold-path steps, the diagnosis
# is wrong. The world, the expert and its settings are scripts/toy_world.sh's (seed 1 by default);
# the expert's SFT also saves its weights every CKPT_EVERY steps, and each early checkpoint becomes
# an amateur: its valid accuracy, then the no-selection contrast of 500 train problems (the final
# expert's greedy rollouts) scored on the gold path (world_report.gold_path_diagnostics).
#
# usage: scripts/world_early_amateur.sh [--seed N] [--out DIR] [--bin PATH]   (default runs/world-early)
set -euo pipefail
cd "$(dirname "$0")/.."
seed=1
out=runs/world-early
bin=build/lightreasoner
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) seed="$2"; shift ;;
    --out) out="$2"; shift ;;
    --bin) bin="$2"; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "world_early_amateur: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
: "${WORLD_TRAIN:=20000}" "${WORLD_VALID:=1000}" "${WORLD_TEST:=1000}" "${WORLD_VOCAB:=384}" "${WORLD_SEED:=0}"
: "${EXPERT_SHAPE:=--hidden-size 64 --intermediate-size 128 --layers 2 --heads 4 --kv-heads 2}"
: "${EXPERT_STEPS:=3000}" "${CKPT_EVERY:=250}" "${CHECKPOINTS:=250 500 750 1000 1500}" "${PROBLEMS:=500}"
trap 'kill $(jobs -p) 2> /dev/null || true' EXIT
# shellcheck source=scripts/world_lib.sh
. scripts/world_lib.sh

world=$out/world
world_setup "$world"
run=$out/seed-$seed
# shellcheck disable=SC2086  # the shape is an option list
stage "expert: init" "$run/expert-init" \
  lr init --arch qwen2 --size tiny --vocab-size "$WORLD_VOCAB" $EXPERT_SHAPE --seed "$seed" --std 0.02 \
    --tokenizer "$world/tokenizer" --out "$run/expert-init"
stage "expert: full-parameter SFT, weights kept every $CKPT_EVERY steps" "$run/expert" \
  lr sft --config configs/world-expert.json --set "expert.path=$run/expert-init" --set "data.path=$world/data/train.jsonl" \
    --set "output_dir=$run/expert" --set "seed=$seed" --set "train.max_steps=$EXPERT_STEPS" \
    --set "train.checkpoint_every=$CKPT_EVERY" --set "train.keep_checkpoints=1000"
for step in $CHECKPOINTS; do
  amateur=$run/early-$step
  as_model() {  # the checkpoint's weights (every parameter, the model's own names) in the final model's directory
    mkdir -p "$amateur/model"
    cp "$run/expert/model/"*.json "$run/expert/model/tokenizer.model" "$amateur/model/"
    cp "$run/expert/checkpoints/checkpoint-$step/trainable.safetensors" "$amateur/model/model.safetensors"
  }
  stage "amateur: the expert at step $step" "$amateur/model" as_model
  stage "eval (valid): the expert at step $step" "$amateur/eval-valid" \
    lr eval --config configs/world-lightreasoner.json --model "$amateur/model" --data "$world/data/valid.jsonl" \
      --template cot --max-new-tokens 128 --out "$amateur/eval-valid"
  stage "contrast (no selection): expert vs its step-$step self" "$amateur/no-selection" \
    lr sample --config configs/world-lightreasoner.json --set "expert.path=$run/expert/model" \
      --set "amateur.path=$amateur/model" --set "data.path=$world/data/train.jsonl" --set "seed=$seed" \
      --set "data.max_problems=$PROBLEMS" --set selection.enabled=false --set "output_dir=$amateur/no-selection"
done
stage "eval (valid): the expert" "$run/expert/eval-valid" \
  lr eval --config configs/world-lightreasoner.json --model "$run/expert/model" --data "$world/data/valid.jsonl" \
    --template cot --max-new-tokens 128 --out "$run/expert/eval-valid"
stage "world: tokenize the reference solutions" "$world/reference" reference_ids "$world" "$world/data/train.jsonl"
/usr/bin/python3 - "$out" "$seed" $CHECKPOINTS <<'PY'
import json, os, sys
sys.path.insert(0, "scripts")
import world_report
out, seed, steps = sys.argv[1], sys.argv[2], sys.argv[3:]
reference = world_report.reference_ids(out)
def accuracy(d):
    s = world_report.read_json(os.path.join(d, "summary.json")) or {}
    ds = list(s.get("datasets", {}).values())
    return 100.0 * sum(x["correct"] for x in ds) / sum(x["n"] for x in ds) if ds else None
pct = lambda a, b: "–" if not b else f"{100.0 * a / b:.1f}"
lines = [f"# The instruct-analog world's expert (seed {seed}, valid {accuracy(os.path.join(out, f'seed-{seed}', 'expert', 'eval-valid')):.1f}%) against its own early checkpoints", "",
         "| amateur = the expert at step | its valid % | uncertain gold-path steps | expert argmax right % | contrast argmax right % | amateur argmax right % | first wrong tokens | reference in α-mask % | contrast right there % |",
         "|---|---|---|---|---|---|---|---|---|"]
rows = {}
for step in steps:
    c = world_report.gold_path_diagnostics(os.path.join(out, f"seed-{seed}"), f"early-{step}", reference, main_run="no-selection")
    rows[step] = c
    acc = accuracy(os.path.join(out, f"seed-{seed}", f"early-{step}", "eval-valid"))
    lines.append(f"| {step} | {acc:.1f} | {c['uncertain']} | {pct(c['uncertain_expert'], c['uncertain'])} | "
                 f"{pct(c['uncertain_contrast'], c['uncertain'])} | {pct(c['uncertain_amateur'], c['uncertain'])} | "
                 f"{c['errors']} | {pct(c['error_in_mask'], c['errors'])} | {pct(c['error_contrast'], c['errors'])} |")
text = "\n".join(lines)
open(os.path.join(out, "results.md"), "w").write(text + "\n")
json.dump(rows, open(os.path.join(out, "results.json"), "w"), indent=2)
print(text)
PY

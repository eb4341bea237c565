#!/usr/bin/env bash
# The README's main command, until the toy world lands: the whole LightReasoner method end to end
# on two tiny random models that share a real tokenizer (stories260K's, from tests/fixtures) —
# init → sample (rollouts, amateur scoring, KL selection, contrast targets) → inspect → train
# (LoRA, PEFT adapter) → generate with the adapter — plus greedy generation from the real
# pretrained stories260K checkpoint. Random models say nothing about accuracy; this shows the
# machinery working.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/lightreasoner
tok=tests/fixtures/stories260K/hf
$bin --version
rm -rf runs/demo && mkdir -p runs/demo
echo "--- real pretrained checkpoint (stories260K), greedy: prompt 'Once upon a time'"
$bin --log-level warn generate --model "$tok" --prompt "Once upon a time" --template plain --max-new-tokens 40
echo "--- tiny random expert (Qwen2) and amateur (Llama) with the same tokenizer"
$bin --log-level warn init --arch qwen2 --size tiny --std 0.1 --seed 1 --tokenizer "$tok" --out runs/demo/expert
$bin --log-level warn init --arch llama --size tiny --std 0.1 --seed 2 --tokenizer "$tok" --out runs/demo/amateur
python3 - <<'PY'
import json
stories = ["Lily had a red ball", "Tom saw a big dog", "The cat sat in the sun", "Ben found a little box"]
with open("runs/demo/problems.jsonl", "w") as f:
    for i in range(16):
        f.write(json.dumps({"id": f"demo-{i}", "question": f"{stories[i % 4]} on day {i + 1}. What happened next?"}) + "\n")
PY
echo "--- train (runs sample first: rollouts, scoring, selection, targets), then LoRA on the selected steps"
$bin train --config configs/demo.json
echo "--- inspect the contrast dataset"
$bin inspect runs/demo/run/contrast.jsonl > runs/demo/inspect.txt
head -40 runs/demo/inspect.txt
echo "--- the tuned expert (base + adapter) continues a prompt"
$bin --log-level warn generate --model runs/demo/expert --adapter runs/demo/run/adapter --prompt "Once upon a time" --template plain --max-new-tokens 16
ls runs/demo/run runs/demo/run/adapter

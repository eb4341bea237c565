#!/usr/bin/env bash
# The README's main command: the smallest real end-to-end job the tool can do at this stage.
# (The toy world — expert and amateur trained from scratch, LightReasoner vs baselines — replaces it.)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/lightreasoner
$bin --version
echo "--- resolved default config"
$bin config --config configs/default.json | head -20
if [ -d ../shared/fixtures/stories260K/hf ]; then
  echo "--- tensors of the stories260K checkpoint"
  $bin tensors ../shared/fixtures/stories260K/hf | tail -4
fi

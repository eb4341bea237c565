#!/usr/bin/env bash
# Installs the peer tokenizer used by tests/test_tokenizer_peer.cpp and bench/bench_tokenizer.cpp:
# @huggingface/tokenizers (pinned in scripts/peer_tokenizers/package.json + package-lock.json) into
# scripts/peer_tokenizers/node_modules (git-ignored). Needs node >= 18 and npm; nothing else.
set -euo pipefail
cd "$(dirname "$0")/peer_tokenizers"
command -v npm > /dev/null || { echo "npm not found: install Node.js (Debian: nodejs npm)" >&2; exit 1; }
npm ci --no-audit --no-fund
node -e 'import("@huggingface/tokenizers").then(m => console.log("peer ready: @huggingface/tokenizers", typeof m.Tokenizer))'

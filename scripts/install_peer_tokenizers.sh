#!/usr/bin/env bash
# Installs the peer tokenizer used by tests/test_tokenizer_peer.cpp and bench/bench_tokenizer.cpp:
# @huggingface/tokenizers (Tokenizers.js, pinned in scripts/peer_tokenizers/package.json +
# package-lock.json) into scripts/peer_tokenizers/node_modules (git-ignored). scripts/setup.sh calls
# it, so the peer comparison runs on every CI run. Needs node >= 18 and npm: when npm is absent it
# installs Debian's nodejs + npm first. Quiet and offline when the pinned version is already there.
set -euo pipefail
cd "$(dirname "$0")/peer_tokenizers"
pinned=$(node -p 'require("./package.json").dependencies["@huggingface/tokenizers"]' 2>/dev/null || true)
installed=$(node -p 'require("./node_modules/@huggingface/tokenizers/package.json").version' 2>/dev/null || true)
if [ -n "$pinned" ] && [ "$pinned" = "$installed" ]; then exit 0; fi
if ! command -v npm > /dev/null; then
  echo "install_peer_tokenizers: installing nodejs npm"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm > /dev/null
fi
npm ci --no-audit --no-fund --loglevel=error > /dev/null
node -e 'import("@huggingface/tokenizers").then(m => console.log("install_peer_tokenizers: peer ready, @huggingface/tokenizers", typeof m.Tokenizer))'

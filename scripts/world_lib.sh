# Sourced by scripts/toy_world.sh and scripts/lineage_world.sh: the binary wrapper and the cached
# stage runner both world pipelines use. Needs $bin and $LR_THREADS set by the caller.

# One LibTorch thread: these models' matrices are too small to split across cores, and on a shared
# machine a second spinning OpenMP thread costs more CPU than it saves (measured: 7x the CPU time).
: "${LR_THREADS:=1}"
lr() { "$bin" --log-level "${LR_LOG_LEVEL:-info}" --threads "$LR_THREADS" "$@"; }

# stage NAME DIR COMMAND...: runs COMMAND unless DIR/.done holds the same command (then "cached")
# and no earlier stage it depends on ran in this invocation (`rebuilt`: the pipeline is a chain).
# Records the wall seconds in DIR/.done, which the reports read (cached stages keep their time).
stage_number=0
rebuilt=0
stage() {
  local name=$1 dir=$2
  shift 2
  stage_number=$((stage_number + 1))
  local command="$*"
  if [ "$rebuilt" = 0 ] && [ -f "$dir/.done" ] && [ "$(sed -n 1p "$dir/.done")" = "$command" ]; then
    echo "[$stage_number] $name: cached ($dir)"
    return
  fi
  echo "[$stage_number] $name ..."
  rebuilt=1
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  local start end
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  mkdir -p "$dir"
  printf '%s\n%s\n' "$command" "$(awk "BEGIN { printf \"%.1f\", $end - $start }")" > "$dir/.done"
  echo "[$stage_number] $name: done in $(sed -n 2p "$dir/.done") s"
}

# world_setup DIR: the world's problems (DIR/data) and its tokenizer (DIR/tokenizer), as cached
# stages. Sizes from WORLD_SEED, WORLD_TRAIN, WORLD_VALID, WORLD_TEST, WORLD_VOCAB.
world_setup() {
  local world=$1
  stage "world: generate problems" "$world/data" \
    lr world generate --out "$world/data" --seed "$WORLD_SEED" --train "$WORLD_TRAIN" --valid "$WORLD_VALID" --test "$WORLD_TEST"
  stage "world: train the tokenizer" "$world/tokenizer" \
    lr world tokenizer --corpus "$world/data/corpus.txt" --out "$world/tokenizer" --vocab-size "$WORLD_VOCAB"
}

# reference_ids WORLD FILE: FILE's 'answer' fields as token ids of WORLD's tokenizer, one JSON array
# per line, into WORLD/reference/ids.jsonl (the reports' gold path). Run it as a stage.
reference_ids() {
  local world=$1 file=$2
  mkdir -p "$world/reference"
  LR_LOG_LEVEL=warn lr tokenize --model "$world/tokenizer" --file "$file" --field answer --no-special --json \
    > "$world/reference/ids.jsonl.tmp"
  mv "$world/reference/ids.jsonl.tmp" "$world/reference/ids.jsonl"
}

# contrast_run DIR TRAIN-ARGS...: sample + train into DIR, then the contrast summary the reports read.
contrast_run() {
  local dir=$1
  shift
  lr train "$@" --set "output_dir=$dir"
  LR_LOG_LEVEL=warn lr inspect --json "$dir/contrast.jsonl" > "$dir/inspect.json"
}

# rejection_run DIR SFT-ARGS...: rejection-sampled SFT into DIR. A weak expert may get no problem
# right: then there is nothing to train on, which the reports show instead of failing.
rejection_run() {
  local dir=$1
  shift
  if ! lr sft "$@" --set "output_dir=$dir" 2>&1 | tee "$dir.log"; then
    grep -q "rejection sampling kept no rollout" "$dir.log" || return 1
    echo "rejection sampling kept no rollout; the rejection-SFT variant is the expert unchanged"
    mkdir -p "$dir" && touch "$dir/no-examples"
  fi
  mv "$dir.log" "$dir/sft.log"
}

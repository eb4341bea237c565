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

#!/usr/bin/env python3
"""scripts/gpu_goals.sh still runs end to end, on this machine's CPU, with the benches of this build.

A GPU machine is lent rarely and for 15 minutes in all: the first call there must be a single run
of the goals script. Nothing else exercises the script between such calls, so a renamed bench flag
or RESULT key would only show on the GPU. This runs its CPU dry run (`--device cpu`, small shapes,
~30 s) and checks that it exits 0 and that every row of its table carries a measured figure of
ours. Peer rows (transformers, HF+PEFT) may say "peer skipped: not installed" here; verdicts and
speeds are not judged (the suite runs two tests at once on two cores).

Usage: test_gpu_goals_dry_run.py SOURCE_DIR BUILD_DIR OUT_DIR
"""
import re
import subprocess
import sys
from pathlib import Path

# Rows of the table the script must produce (a prefix of the goal's text; the batch sizes and
# the extrapolation fraction change with the device).
EXPECTED_ROWS = [
    "read bandwidth GB/s",
    "GEMM ",
    "decode b",
    "prefill b",
    "LoRA train tokens/s (trajectory packing)",
    "LoRA train tokens/s, step packing",
    "LoRA train: its GEMMs alone / step time",
    "LoRA train MFU",
    "paper pipeline s",
    "eval ",
    "peak memory MB, sample",
    "peak memory MB, train",
    "peak memory MB, eval",
    "peak memory MB, small LoRA update of 16 steps, no checkpointing",
    "peak memory MB, small LoRA update of 16 steps, activation checkpointing",
]
NUMBER = re.compile(r"\d+(\.\d+)?")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    source, build, out = (Path(a) for a in sys.argv[1:])
    run = subprocess.run(["bash", str(source / "scripts/gpu_goals.sh"), "--device", "cpu", "--out", str(out),
                          "--build", str(build)], cwd=source, capture_output=True, text=True, timeout=900)
    if run.returncode != 0:
        print(run.stdout[-4000:], run.stderr[-4000:])
        sys.exit(f"FAIL: gpu_goals.sh --device cpu exited with {run.returncode}")
    rows_file = out / "rows.tsv"
    rows = [line.split("\t") for line in rows_file.read_text().splitlines() if line.strip()]
    problems = []
    for number, fields in enumerate(rows, 1):
        if len(fields) != 6:
            problems.append(f"{rows_file}:{number}: {len(fields)} fields, expected 6 (goal, measured, target, ratio, "
                            f"verdict, device): {fields}")
            continue
        goal, measured = fields[0], fields[1]
        if measured.startswith("peer skipped"):
            continue
        if "n/a" in measured or not NUMBER.search(measured):
            problems.append(f"{rows_file}:{number}: '{goal}' has no measured figure ({measured!r})")
    for prefix in EXPECTED_ROWS:
        if not any(fields[0].startswith(prefix) for fields in rows):
            problems.append(f"{rows_file}: no row for '{prefix}...'")
    if problems:
        print("\n".join(problems))
        sys.exit(f"FAIL: {len(problems)} problem(s) in the dry run's table ({out}/goals.log has the run)")
    print(f"OK: gpu_goals.sh --device cpu produced {len(rows)} rows, each with a measured figure or a skipped peer")


if __name__ == "__main__":
    main()

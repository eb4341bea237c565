#!/usr/bin/python3
"""The toy world's results table and plots, from what scripts/toy_world.sh left in OUT: per variant
(amateur, expert, LightReasoner, its two ablations, rejection-sampled SFT) the test accuracy, tuned
tokens, problems sampled and the sampling/training wall times, per seed and as mean ± spread over
the seeds given — the shape of the paper's Tables 1, 2 and 6. Writes OUT/results.md,
OUT/results.json, OUT/training_curves.png and OUT/kl_histogram.png, and prints the markdown. It
computes nothing about the models itself: every figure is read from the runs' own output files.
Because the world's reference solutions are deterministic, it also checks where the contrast
targets point: on each rollout's gold path (its steps up to and including its first token that
differs from the tokenized reference solution), is the contrast target's argmax the reference token more or less
often than the expert's own argmax? (gold_path_diagnostics; needs OUT/world/reference/ids.jsonl.)

usage: world_report.py OUT seed-1 [seed-2 ...]
Needs Debian's python3 + python3-matplotlib (hence /usr/bin/python3).
"""
import json
import os
import re
import statistics
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# (variant, label, training run dir or None, kind)
VARIANTS = [
    ("amateur", "amateur (SFT from scratch)", None, "base"),
    ("expert", "expert (SFT from scratch) = baseline", None, "base"),
    ("rejection-sft", "+ rejection-sampled SFT (LoRA)", "rejection-sft", "sft"),
    ("lightreasoner", "+ LightReasoner (LoRA)", "lightreasoner", "contrast"),
    ("no-selection", "+ LightReasoner, no selection", "no-selection", "contrast"),
    ("no-contrast", "+ LightReasoner, no contrast (expert targets)", "no-contrast", "contrast"),
]


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except json.JSONDecodeError as e:
        sys.exit(f"world_report: {path}: not valid JSON ({e})")


def stage_seconds(directory):
    """Wall seconds toy_world.sh recorded for the stage that made `directory` (line 2 of .done)."""
    try:
        with open(os.path.join(directory, ".done"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        return float(lines[1])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def read_metrics(path):
    rows = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    rows.append(json.loads(line))
    except FileNotFoundError:
        pass
    return rows


def collect_seed(out, seed_dir):
    run = os.path.join(out, seed_dir)
    result = {}
    for name, _, train_dir, kind in VARIANTS:
        summary = read_json(os.path.join(run, "eval", name, "summary.json"))
        row = {"accuracy": None, "n": None, "eval_seconds": stage_seconds(os.path.join(run, "eval", name))}
        if summary:
            datasets = list(summary["datasets"].values())
            row["n"] = sum(d["n"] for d in datasets)
            row["correct"] = sum(d["correct"] for d in datasets)
            row["accuracy"] = 100.0 * row["correct"] / row["n"] if row["n"] else None
        if train_dir:
            directory = os.path.join(run, train_dir)
            total = stage_seconds(directory)
            row["stage_seconds"] = total
            if kind == "contrast":
                meta = read_json(os.path.join(directory, "contrast.meta.json")) or {}
                counts = meta.get("counts", {})
                row["problems_sampled"] = counts.get("problems")
                row["tuned_tokens"] = counts.get("steps_selected")
                row["steps_scored"] = counts.get("steps_scored")
                row["sampling_seconds"] = meta.get("wall_seconds")
                if total is not None and row["sampling_seconds"] is not None:
                    row["training_seconds"] = total - row["sampling_seconds"]
                inspect = read_json(os.path.join(directory, "inspect.json")) or {}
                row["selected_rate"] = inspect.get("selected_rate")
                row["target_entropy_mean"] = (inspect.get("target_entropy") or {}).get("mean")
                row["kl_mean"] = (inspect.get("kl_all") or {}).get("mean")
            else:
                # Rejection sampling is eval's runner over the train problems: its summary has the
                # problems, the correct ones and the generation seconds; sft's log has what it trained on.
                sampled = read_json(os.path.join(directory, "rejection", "summary.json")) or {}
                datasets = list(sampled.get("datasets", {}).values())
                if datasets:
                    row["problems_sampled"] = sum(d["n"] for d in datasets)
                    row["problems_correct"] = sum(d["correct"] for d in datasets)
                    row["sampling_seconds"] = sum(d["seconds"] for d in datasets)
                row["no_examples"] = os.path.exists(os.path.join(directory, "no-examples"))
                log = os.path.join(directory, "sft.log")
                if os.path.exists(log):
                    with open(log, encoding="utf-8", errors="replace") as f:
                        found = re.findall(r"sft: (\d+) examples, (\d+) supervised tokens", f.read())
                    if found:
                        row["problems_kept"], row["tuned_tokens"] = int(found[-1][0]), int(found[-1][1])
                if row["no_examples"]:
                    row["tuned_tokens"] = 0
                if total is not None and row.get("sampling_seconds") is not None:
                    row["training_seconds"] = max(0.0, total - row["sampling_seconds"])
        elif name in ("expert", "amateur"):
            row["training_seconds"] = stage_seconds(os.path.join(run, name))
            resolved = read_json(os.path.join(run, name, "config.resolved.json")) or {}
            row["train_steps"] = resolved.get("train", {}).get("max_steps")
        result[name] = row
    return result


def mean_spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    return statistics.mean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def fmt(value, digits=1):
    return "–" if value is None else f"{value:.{digits}f}"


def fmt_int(value):
    return "–" if value is None else f"{int(round(value))}"


def table(per_seed, seeds):
    lines = []
    header = "| variant | accuracy % (mean ± sd) | " + " | ".join(seeds) + \
        " | Δ vs expert | tuned tokens | problems sampled | sampling s | training s |"
    lines.append(header)
    lines.append("|" + "---|" * (header.count("|") - 1))
    base = [per_seed[s]["expert"]["accuracy"] for s in seeds]
    for name, label, _, _ in VARIANTS:
        accs = [per_seed[s][name]["accuracy"] for s in seeds]
        m, sd = mean_spread(accs)
        deltas = [a - b for a, b in zip(accs, base) if a is not None and b is not None]
        dm, dsd = mean_spread(deltas)
        cells = [label, f"{fmt(m)} ± {fmt(sd)}"] + [fmt(a) for a in accs]
        cells.append("–" if name in ("expert", "amateur") or dm is None else f"{dm:+.1f} ± {fmt(dsd)}")
        cells.append(fmt_int(mean_spread([per_seed[s][name].get("tuned_tokens") for s in seeds])[0]))
        cells.append(fmt_int(mean_spread([per_seed[s][name].get("problems_sampled") for s in seeds])[0]))
        cells.append(fmt(mean_spread([per_seed[s][name].get("sampling_seconds") for s in seeds])[0]))
        cells.append(fmt(mean_spread([per_seed[s][name].get("training_seconds") for s in seeds])[0]))
        if any(per_seed[s][name].get("no_examples") for s in seeds):
            cells[0] += " (no correct rollout in some seed: nothing to train on)"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def diagnostics(per_seed, seeds):
    lines = ["| variant | seed | selected-step rate | mean KL(πE‖πA) | mean target entropy (nats) |", "|---|---|---|---|---|"]
    for name in ("lightreasoner", "no-selection", "no-contrast"):
        for s in seeds:
            row = per_seed[s][name]
            lines.append(f"| {name} | {s} | {fmt(row.get('selected_rate'), 3)} | {fmt(row.get('kl_mean'), 3)} | "
                         f"{fmt(row.get('target_entropy_mean'), 3)} |")
    return "\n".join(lines)


def argmax(values):
    return max(range(len(values)), key=values.__getitem__)


def reference_ids(out):
    """Problem id → the token ids of its reference solution: OUT/world/data/train.jsonl and
    OUT/world/reference/ids.jsonl (toy_world.sh tokenizes the former into the latter, one line per
    problem), paired line by line; None when either is missing."""
    problems_path = os.path.join(out, "world", "data", "train.jsonl")
    ids_path = os.path.join(out, "world", "reference", "ids.jsonl")
    if not (os.path.exists(problems_path) and os.path.exists(ids_path)):
        return None
    with open(problems_path, encoding="utf-8") as f:
        problem_ids = [json.loads(line)["id"] for line in f if line.strip()]
    with open(ids_path, encoding="utf-8") as f:
        token_ids = [json.loads(line) for line in f if line.strip()]
    if len(problem_ids) != len(token_ids):
        sys.exit(f"world_report: {ids_path} has {len(token_ids)} lines, expected one per problem of "
                 f"{problems_path} ({len(problem_ids)})")
    return dict(zip(problem_ids, token_ids))


def gold_path_diagnostics(out, seed_dir, reference, main_run="lightreasoner"):
    """Scores the contrast targets of the no-selection run (every step of every rollout) against the
    reference solutions (`reference`: reference_ids(out)). At the uncertain steps of the gold path
    (the α-mask holds more than one token) it counts how often the expert's argmax, the contrast
    target's argmax and the amateur's argmax are the reference token — all steps, and the selected
    ones (KL ≥ β). At each rollout's first wrong token it counts how often the reference token was
    inside the α-mask and how often the contrast target's argmax was the reference token (the
    expert's argmax never is: greedy). β is read from the `main_run` directory's resolved config."""
    contrast = os.path.join(out, seed_dir, "no-selection", "contrast.jsonl")
    if reference is None or not os.path.exists(contrast):
        return None
    resolved = read_json(os.path.join(out, seed_dir, main_run, "config.resolved.json")) or {}
    beta = resolved.get("selection", {}).get("beta", 0.4)
    count = {k: 0 for k in ("uncertain", "uncertain_expert", "uncertain_contrast", "uncertain_amateur",
                            "selected", "selected_expert", "selected_contrast", "selected_amateur",
                            "errors", "error_in_mask", "error_contrast")}
    with open(contrast, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            record = json.loads(line)
            gold, ids = reference[record["id"]], record["completion_ids"]
            n = min(len(gold), len(ids))
            first_error = next((t for t in range(n) if gold[t] != ids[t]), None)
            last = first_error if first_error is not None else n - 1
            for step in record["steps"]:
                t = step["t"]
                if t > last:
                    continue
                mask, want = step["ids"], gold[t]
                if t == first_error:
                    count["errors"] += 1
                    count["error_in_mask"] += want in mask
                    count["error_contrast"] += mask[argmax(step["p"])] == want
                if len(mask) < 2:
                    continue
                hits = (mask[argmax(step["pe"])] == want, mask[argmax(step["p"])] == want,
                        step.get("amateur_top_id") == want)
                for group in ("uncertain", "selected") if step["kl"] >= beta else ("uncertain",):
                    count[group] += 1
                    for key, hit in zip(("expert", "contrast", "amateur"), hits):
                        count[f"{group}_{key}"] += hit
    return count


def gold_path_table(per_seed, seeds):
    def pct(part, whole):
        return "–" if not whole else f"{100.0 * part / whole:.1f}"
    lines = ["| seed | steps | n | expert argmax = reference % | contrast argmax = reference % | amateur argmax = reference % |",
             "|---|---|---|---|---|---|"]
    for s in seeds:
        c = per_seed[s].get("gold_path")
        if not c:
            continue
        for group, label in (("uncertain", "uncertain (α-mask > 1 token)"), ("selected", "uncertain and selected (KL ≥ β)")):
            n = c[group]
            lines.append(f"| {s} | {label} | {n} | {pct(c[group + '_expert'], n)} | {pct(c[group + '_contrast'], n)} | "
                         f"{pct(c[group + '_amateur'], n)} |")
    lines += ["", "| seed | rollouts' first wrong tokens | reference token inside the α-mask % | contrast argmax = reference % |",
              "|---|---|---|---|"]
    for s in seeds:
        c = per_seed[s].get("gold_path")
        if c:
            lines.append(f"| {s} | {c['errors']} | {pct(c['error_in_mask'], c['errors'])} | "
                         f"{pct(c['error_contrast'], c['errors'])} |")
    return "\n".join(lines)


def plot_training_curves(out, seeds, path):
    panels = [("expert", "expert SFT"), ("amateur", "amateur SFT"), ("lightreasoner", "LightReasoner"),
              ("no-selection", "no selection"), ("no-contrast", "no contrast"), ("rejection-sft", "rejection SFT")]
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    for ax, (directory, title) in zip(axes.flat, panels):
        for s in seeds:
            rows = read_metrics(os.path.join(out, s, directory, "metrics.jsonl"))
            if rows:
                ax.plot([r["step"] for r in rows], [r["loss"] for r in rows], marker=".", label=s)
        ax.set_title(title)
        ax.set_xlabel("optimizer step")
        ax.set_ylabel("loss")
        ax.legend(fontsize=7)
    fig.suptitle("toy world: training loss (metrics.jsonl)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, seeds = sys.argv[1], sys.argv[2:]
    per_seed = {s: collect_seed(out, s) for s in seeds}
    reference = reference_ids(out)
    for s in seeds:
        per_seed[s]["gold_path"] = gold_path_diagnostics(out, s, reference)
    md = ["# Toy world results", "",
          f"Seeds: {', '.join(seeds)}; test problems per eval: "
          f"{per_seed[seeds[0]]['expert']['n'] if per_seed[seeds[0]]['expert']['n'] else '–'}; "
          "greedy decoding, the toolkit's GSM8K grading.", "",
          table(per_seed, seeds), "",
          "Tuned tokens: selected steps (LightReasoner variants) or supervised completion tokens (SFT). "
          "Sampling s: rollouts + amateur scoring (LightReasoner) or rollouts + grading (rejection SFT); "
          "training s: the stage's wall time minus sampling (it includes loading and writing). "
          "Δ: accuracy minus the same seed's expert, mean ± sd over seeds.", "",
          "## Contrast diagnostics", "", diagnostics(per_seed, seeds), ""]
    if any(per_seed[s]["gold_path"] for s in seeds):
        md += ["## Where the contrast targets point (gold path)", "",
               "The no-selection run's targets for every step, scored against the tokenized reference "
               "solutions: on each rollout's gold path (its steps up to and including its first token that "
               "differs from the reference), at the steps where the α-mask keeps more than one token, which "
               "argmax is the reference token? LightReasoner can only teach the "
               "expert something new where the contrast argmax is right and the expert's is not.", "",
               gold_path_table(per_seed, seeds), ""]
    text = "\n".join(md)
    with open(os.path.join(out, "results.md"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(out, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"seeds": seeds, "per_seed": per_seed}, f, indent=2)
    plot_training_curves(out, seeds, os.path.join(out, "training_curves.png"))
    contrast = os.path.join(out, seeds[0], "lightreasoner", "contrast.jsonl")
    if os.path.exists(contrast):
        here = os.path.dirname(os.path.abspath(__file__))
        subprocess.run([sys.executable, os.path.join(here, "plot_contrast.py"), contrast, "-o",
                        os.path.join(out, "kl_histogram.png")], check=True)
    print(text)
    print(f"written: {out}/results.md, results.json, training_curves.png, kl_histogram.png")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""The lineage world's results (scripts/lineage_world.sh), from what the runs left in OUT: per model and
variant the accuracy on the evaluated split, per seed and mean ± sd; the paired difference to the
expert E, with a paired bootstrap 95% interval over problems (pooled over seeds: problems resampled
within each seed) and McNemar's exact test per seed; the reasoning-first rate (the completion after
"Answer:" starts with a word, not a number) and the accuracy given reasoning-first, so that "the
method brought out a latent mode" is told apart from "the method taught arithmetic"; the contrast
targets' shape (selected-step rate, single-token share, t = 0); the gold-path table of world_report.py;
and each prediction of docs/worlds.md checked by the rule written there. Every figure is read from the
runs' own files (eval predictions.jsonl / summary.json, contrast.jsonl, inspect.json, .done times).

usage: lineage_report.py OUT SPLIT seed-1 [seed-2 ...]     (SPLIT: valid or test)
Writes OUT/results-SPLIT.md and OUT/results-SPLIT.json and prints the markdown.
"""
import json
import math
import os
import random
import statistics
import sys

import world_report

MODELS = [("A", "A: small general model (Qwen2.5-0.5B analog)"),
          ("G", "G: general base (Qwen2.5-1.5B analog)"),
          ("W", "W: A continued on math (same-domain weaker)"),
          ("S", "S: E tuned on the eval format (-Instruct analog)"),
          ("E", "E: G continued on math = expert, baseline")]
VARIANTS = [("lr-G", "+ LightReasoner, amateur G (main)"),
            ("no-contrast", "+ LR, no contrast (expert targets), amateur G"),
            ("no-selection", "+ LR, no selection, amateur G"),
            ("neither", "+ LR, neither selection nor contrast"),
            ("rejection-sft", "+ rejection-sampled SFT (same LoRA)"),
            ("lr-A", "+ LightReasoner, amateur A (small general)"),
            ("lr-W", "+ LightReasoner, amateur W (same-domain weaker)"),
            ("lr-S", "+ LightReasoner, amateur S (stronger)"),
            ("lr-G-t1", "+ LightReasoner, amateur G, t = 0 skipped (the official code's default)")]
BOOTSTRAP_REPS = 2000


def reasoning_first(completion):
    """True when the completion opens with a word (a worked solution), False when it opens with a
    number or is empty (an answer-only reply)."""
    text = completion.lstrip()
    return bool(text) and text[0].isalpha()


def read_predictions(path):
    rows = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    rows[r["id"]] = (bool(r["correct"]), reasoning_first(r.get("completion", "")))
    except FileNotFoundError:
        return None
    return rows


def mcnemar_p(b, c):
    """Exact two-sided McNemar p-value: b, c are the discordant pairs (variant right / baseline
    wrong and the reverse); binomial(b + c, 1/2)."""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def paired_bootstrap(pairs_by_seed, reps=BOOTSTRAP_REPS, seed=0):
    """95% interval of the mean over seeds of (variant − baseline accuracy), in points: problems are
    resampled with replacement within each seed. pairs_by_seed: one list of (variant, baseline)
    0/1 pairs per seed."""
    rng = random.Random(seed)
    diffs_by_seed = [[a - b for a, b in pairs] for pairs in pairs_by_seed if pairs]
    if not diffs_by_seed:
        return None
    stats = []
    for _ in range(reps):
        means = []
        for diffs in diffs_by_seed:
            n = len(diffs)
            means.append(sum(diffs[rng.randrange(n)] for _ in range(n)) / n)
        stats.append(100.0 * sum(means) / len(means))
    stats.sort()
    return stats[int(0.025 * reps)], stats[int(0.975 * reps) - 1]


def collect(out, split, seed_dir, number_start=None):
    run = os.path.join(out, seed_dir)
    result = {}
    for name, _ in MODELS + VARIANTS:
        directory = os.path.join(run, f"eval-{split}", name)
        predictions = read_predictions(os.path.join(directory, "predictions.jsonl"))
        row = {"predictions": predictions, "eval_seconds": world_report.stage_seconds(directory)}
        if predictions:
            n = len(predictions)
            rf = [c for c, r in predictions.values() if r]
            row.update(n=n, accuracy=100.0 * sum(c for c, _ in predictions.values()) / n,
                       reasoning_first=100.0 * len(rf) / n,
                       accuracy_given_rf=(100.0 * sum(rf) / len(rf)) if rf else None)
        train_dir = os.path.join(run, name)
        if name in dict(MODELS):
            row["training_seconds"] = world_report.stage_seconds(train_dir)
        else:
            row["stage_seconds"] = world_report.stage_seconds(train_dir)
            inspect = world_report.read_json(os.path.join(train_dir, "inspect.json")) or {}
            meta = world_report.read_json(os.path.join(train_dir, "contrast.meta.json")) or {}
            row["tuned_steps"] = meta.get("counts", {}).get("steps_selected")
            row["selected_rate"] = inspect.get("selected_rate")
            row["single_token_share"] = inspect.get("single_token_share")
            row["target_entropy_mean"] = (inspect.get("target_entropy") or {}).get("mean")
            row.update(first_step_summary(os.path.join(train_dir, "contrast.jsonl"), number_start))
            if name == "rejection-sft":
                sampled = world_report.read_json(os.path.join(train_dir, "rejection", "summary.json")) or {}
                datasets = list(sampled.get("datasets", {}).values())
                if datasets:
                    row["rollouts_kept"] = sum(d["correct"] for d in datasets)
        result[name] = row
    return result


def number_start_ids(out):
    """The token ids a number can start with after "Answer:" (lineage_world.sh tokenizes "0".."9"
    into OUT/world/reference/number_start.json); None when missing."""
    ids = world_report.read_json(os.path.join(out, "world", "reference", "number_start.json"))
    return set(ids) if ids else None


def first_step_summary(path, number_start):
    """At t = 0 (the first token after "Answer:"): the share of rollouts whose t = 0 step was kept,
    and among those, how often the expert's argmax and the target's argmax are not the start of a
    number (i.e. start a worked solution)."""
    if not os.path.exists(path) or number_start is None:
        return {}
    rollouts = kept = expert_word = target_word = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            record = json.loads(line)
            rollouts += 1
            step = next((s for s in record.get("steps", []) if s["t"] == 0), None)
            if step is None:
                continue
            kept += 1
            expert_word += step["ids"][world_report.argmax(step["pe"])] not in number_start
            target_word += step["ids"][world_report.argmax(step["p"])] not in number_start
    if not rollouts:
        return {}
    return {"t0_kept_share": kept / rollouts, "t0_kept": kept,
            "t0_expert_word_share": (expert_word / kept) if kept else None,
            "t0_target_word_share": (target_word / kept) if kept else None}


def pairs(per_seed, seeds, name, base="E"):
    out = []
    for s in seeds:
        a, b = per_seed[s][name].get("predictions"), per_seed[s][base].get("predictions")
        if not a or not b:
            out.append([])
            continue
        out.append([(int(a[k][0]), int(b[k][0])) for k in b if k in a])
    return out


def compare(per_seed, seeds, name, base="E"):
    """Mean over seeds of (name − base) accuracy, its pooled paired-bootstrap interval, and the
    per-seed McNemar p-values."""
    ps = pairs(per_seed, seeds, name, base)
    if not any(ps):
        return None
    deltas = [100.0 * sum(a - b for a, b in p) / len(p) for p in ps if p]
    ci = paired_bootstrap(ps)
    p_values = [mcnemar_p(sum(1 for a, b in p if a > b), sum(1 for a, b in p if a < b)) for p in ps if p]
    return {"delta": statistics.mean(deltas), "per_seed": deltas, "ci": ci, "mcnemar_p": p_values}


def fmt(value, digits=1):
    return "–" if value is None else f"{value:.{digits}f}"


def fmt_cmp(c):
    if not c:
        return "–", "–"
    return f"{c['delta']:+.1f} [{c['ci'][0]:+.1f}, {c['ci'][1]:+.1f}]", " / ".join(f"{p:.2g}" for p in c["mcnemar_p"])


def mean_sd(values):
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.1f} ± {sd:.1f}"


def main_table(per_seed, seeds):
    header = ("| model / variant | accuracy % (mean ± sd) | " + " | ".join(seeds) +
              " | Δ vs E, points [95% paired bootstrap] | McNemar p per seed | reasoning-first % | accuracy given reasoning-first % |")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for name, label in MODELS + VARIANTS:
        rows = [per_seed[s][name] for s in seeds]
        if not any(r.get("n") for r in rows):
            continue
        delta, p = fmt_cmp(compare(per_seed, seeds, name)) if name != "E" else ("–", "–")
        lines.append(f"| {label} | {mean_sd([r.get('accuracy') for r in rows])} | " +
                     " | ".join(fmt(r.get("accuracy")) for r in rows) +
                     f" | {delta} | {p} | {mean_sd([r.get('reasoning_first') for r in rows])} | "
                     f"{mean_sd([r.get('accuracy_given_rf') for r in rows])} |")
    return "\n".join(lines)


def target_table(per_seed, seeds):
    lines = ["| variant | tuned steps | selected-step rate | single-token share of targets | mean target entropy (nats) | "
             "t = 0 kept (share of rollouts) % | t = 0 kept: expert argmax starts a solution (not a number) % | t = 0 kept: target argmax starts a solution % |",
             "|---|---|---|---|---|---|---|---|"]
    for name, label in VARIANTS:
        if name == "rejection-sft":
            continue
        rows = [per_seed[s][name] for s in seeds]
        if not any(r.get("tuned_steps") is not None for r in rows):
            continue
        pct = lambda key: mean_sd([100.0 * r[key] if r.get(key) is not None else None for r in rows])
        lines.append(f"| {label} | {mean_sd([r.get('tuned_steps') for r in rows])} | {mean_sd([r.get('selected_rate') for r in rows])} | "
                     f"{pct('single_token_share')} | {mean_sd([r.get('target_entropy_mean') for r in rows])} | "
                     f"{pct('t0_kept_share')} | {pct('t0_expert_word_share')} | {pct('t0_target_word_share')} |")
    return "\n".join(lines)


def lower(c):
    return c["ci"][0] if c else None


def upper(c):
    return c["ci"][1] if c else None


def predictions(per_seed, seeds):
    """docs/worlds.md's predictions, each checked by the rule written there before the test runs."""
    lr = compare(per_seed, seeds, "lr-G")
    rows = []

    def verdict(ok, falsified):
        return "holds" if ok else ("falsified" if falsified else "not shown (interval includes the boundary)")

    if lr:
        rows.append(("P1 LightReasoner (amateur G) is well above the expert: Δ ≥ +5 points and the interval above 0",
                     fmt_cmp(lr)[0], verdict(lr["delta"] >= 5 and lower(lr) > 0, upper(lr) <= 0)))
    vs_sft = compare(per_seed, seeds, "lr-G", "rejection-sft")
    if vs_sft:
        rows.append(("P2 LightReasoner ≥ rejection-sampled SFT: mean Δ(LR − SFT) ≥ 0 (falsified if the interval is below 0)",
                     fmt_cmp(vs_sft)[0], verdict(vs_sft["delta"] >= 0, upper(vs_sft) < 0)))
    nc, lr_nc = compare(per_seed, seeds, "no-contrast"), compare(per_seed, seeds, "lr-G", "no-contrast")
    if nc and lr_nc:
        rows.append(("P3a no contrast gains part of it: Δ(no-contrast − E) interval above 0",
                     fmt_cmp(nc)[0], verdict(lower(nc) > 0, upper(nc) <= 0)))
        rows.append(("P3b the contrast matters: Δ(LR − no-contrast) interval above 0 (LR ≈ no-contrast falsifies it)",
                     fmt_cmp(lr_nc)[0], verdict(lower(lr_nc) > 0, upper(lr_nc) <= 0 or lower(lr_nc) <= 0)))
    small = compare(per_seed, seeds, "lr-A")
    if small:
        rows.append(("P4 a small general amateur helps: Δ(LR with A − E) interval above 0",
                     fmt_cmp(small)[0], verdict(lower(small) > 0, upper(small) <= 0)))
    weak = compare(per_seed, seeds, "lr-W")
    if weak:
        rows.append(("P5 a same-domain weaker amateur gives ≈ 0 or less: mean Δ(LR with W − E) ≤ +2 points",
                     fmt_cmp(weak)[0], verdict(weak["delta"] <= 2, weak["delta"] > 2)))
    strong = compare(per_seed, seeds, "lr-S")
    if strong:
        rows.append(("P6 a stronger amateur gives < 0: Δ(LR with S − E) interval below 0",
                     fmt_cmp(strong)[0], verdict(upper(strong) < 0, lower(strong) >= 0)))
    lines = ["| prediction (rule) | observed Δ, points [95% CI] | verdict |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    out, split, seeds = sys.argv[1], sys.argv[2], sys.argv[3:]
    number_start = number_start_ids(out)
    per_seed = {s: collect(out, split, s, number_start) for s in seeds}
    reference = world_report.reference_ids(out)
    for s in seeds:
        per_seed[s]["gold_path"] = world_report.gold_path_diagnostics(out, s, reference, main_run="lr-G")
    n = next((per_seed[s]["E"].get("n") for s in seeds if per_seed[s]["E"].get("n")), None)
    md = [f"# Lineage world results ({split} split)", "",
          f"Seeds: {', '.join(seeds)}; {n or '–'} {split} problems per evaluation; zero-shot \"Question: ...\\nAnswer:\", "
          "greedy, the last number graded with the GSM8K rules. Δ: accuracy minus the same seed's E, mean over seeds, "
          f"with a paired bootstrap 95% interval ({BOOTSTRAP_REPS} resamples of the problems within each seed); "
          "McNemar: exact two-sided test on the discordant problems, per seed.", "",
          main_table(per_seed, seeds), "",
          "## The predictions (docs/worlds.md), checked", "", predictions(per_seed, seeds), "",
          "## What the contrast targets look like", "", target_table(per_seed, seeds), ""]
    if any(per_seed[s]["gold_path"] for s in seeds):
        md += ["## Where the contrast targets point (gold path, no-selection run, amateur G)", "",
               "Scored against the tokenized worked solution (\" ... The answer is N.\"): an answer-only rollout "
               "leaves the gold path at its first token.", "",
               world_report.gold_path_table(per_seed, seeds), ""]
    text = "\n".join(md)
    with open(os.path.join(out, f"results-{split}.md"), "w", encoding="utf-8") as f:
        f.write(text)
    for s in seeds:  # per-problem predictions stay in the runs; the json keeps the figures
        for row in per_seed[s].values():
            if isinstance(row, dict):
                row.pop("predictions", None)
    with open(os.path.join(out, f"results-{split}.json"), "w", encoding="utf-8") as f:
        json.dump({"split": split, "seeds": seeds, "per_seed": per_seed}, f, indent=2)
    print(text)
    print(f"written: {out}/results-{split}.md, results-{split}.json")


if __name__ == "__main__":
    main()

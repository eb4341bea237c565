#!/usr/bin/python3
"""Plot a contrast dataset: KL histogram (every scored step and the selected ones) and the mean KL
by rollout position with the selection rate, as one PNG. Input: the output of
`lightreasoner inspect --json contrast.jsonl`, or contrast.jsonl itself (read directly).
Needs Debian's python3 + python3-matplotlib (hence /usr/bin/python3, not an env python3).

usage: plot_contrast.py INPUT [-o contrast.png] [--beta 0.4]
"""
import argparse
import bisect
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def summary_from_jsonl(path):
    """The few figures the plot needs, computed from contrast.jsonl like `inspect` does."""
    edges = [round(0.1 * i, 6) for i in range(51)]

    def histogram(values):
        counts = [0] * len(edges)
        for v in values:
            counts[max(0, bisect.bisect_right(edges, v) - 1)] += 1  # as inspect bins them
        return {"edges": edges, "counts": counts}

    kl_all, kl_selected, sums, scored, selected = [], [], [], [], []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{number}: not valid JSON ({e})")
            step_kl = record.get("step_kl", [])
            for t, kl in enumerate(step_kl):
                if t >= len(sums):
                    sums.append(0.0)
                    scored.append(0)
                sums[t] += kl
                scored[t] += 1
                kl_all.append(kl)
            for step in record.get("steps", []):
                kl_selected.append(step["kl"])
                t = step["t"]
                while len(selected) <= t:
                    selected.append(0)
                selected[t] += 1
    return {
        "path": path,
        "kl_all_histogram": histogram(kl_all),
        "kl_selected_histogram": histogram(kl_selected),
        "kl_mean_by_position": [s / n for s, n in zip(sums, scored)],
        "scored_by_position": scored,
        "selected_by_position": selected,
        "steps_scored": len(kl_all),
        "steps_selected": len(kl_selected),
    }


def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        data = json.loads(text)
        if isinstance(data, dict) and "kl_all_histogram" in data:
            return data  # inspect --json output
    except json.JSONDecodeError:
        pass
    return summary_from_jsonl(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", help="inspect --json output or contrast.jsonl")
    parser.add_argument("-o", "--output", default="contrast.png", help="PNG to write")
    parser.add_argument("--beta", type=float, default=None, help="selection threshold line (default: from meta, else 0.4)")
    args = parser.parse_args()
    s = load(args.input)
    meta = s.get("meta", {})  # format 2 keeps the settings as config sections; format 1 had a flat "beta"
    recorded = meta.get("settings", {}).get("selection", {}).get("beta", meta.get("beta"))
    beta = args.beta if args.beta is not None else (recorded if recorded is not None else 0.4)

    fig, (ax_hist, ax_pos) = plt.subplots(1, 2, figsize=(13, 4.5))
    for key, label, color in (("kl_all_histogram", "every scored step", "tab:blue"),
                              ("kl_selected_histogram", "selected steps", "tab:orange")):
        h = s[key]
        if sum(h["counts"]) == 0:
            continue
        widths = [b - a for a, b in zip(h["edges"], h["edges"][1:])] + [h["edges"][1] - h["edges"][0]]
        ax_hist.bar(h["edges"], h["counts"], width=widths, align="edge", alpha=0.6, label=label, color=color)
    ax_hist.axvline(beta, color="black", linestyle="--", linewidth=1, label=f"β = {beta}")
    ax_hist.set_yscale("log")
    ax_hist.set_xlabel("KL(πE ‖ πA) per step (nats; last bin ≥ 5)")
    ax_hist.set_ylabel("steps")
    ax_hist.set_title(f"KL histogram: {s['steps_selected']} of {s['steps_scored']} steps selected")
    ax_hist.legend()

    means = s["kl_mean_by_position"]
    if means:
        ax_pos.plot(range(len(means)), means, color="tab:blue", label="mean KL")
        ax_pos.axhline(beta, color="black", linestyle="--", linewidth=1)
        ax_pos.set_xlabel("rollout position t")
        ax_pos.set_ylabel("mean KL (nats)", color="tab:blue")
        rate_ax = ax_pos.twinx()
        scored, selected = s["scored_by_position"], s["selected_by_position"]
        rates = [(selected[t] if t < len(selected) else 0) / n for t, n in enumerate(scored)]
        rate_ax.plot(range(len(rates)), rates, color="tab:orange", alpha=0.7, label="selected share")
        rate_ax.set_ylabel("share of rollouts selected at t", color="tab:orange")
        rate_ax.set_ylim(0, 1)
        ax_pos.set_title("KL by position")
    else:
        ax_pos.text(0.5, 0.5, "no per-step KL stored (step_kl)", ha="center", va="center")
        ax_pos.set_axis_off()
    fig.suptitle(s.get("path", args.input))
    fig.tight_layout()
    fig.savefig(args.output, dpi=110)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Peer for bench_grading's symbolic stage: the same expression pairs (as parsed by our LaTeX
reader, emitted with --emit-sympy) decided the way grader.py::symbolic_equal does after parsing:
a == b, then simplify(a - b) == 0, then isclose(float(N(a)), float(N(b)), rel_tol=1e-4).
Parsing is excluded on both sides' peer timing (sympy's parse_latex needs antlr4, absent here).
Each pair's verdict is compared with ours (the "ours" field bench_grading wrote): every disagreement
is listed, and the exit status is 1 when there is one.
Usage: python3 bench/peer_sympy.py PAIRS.jsonl [repeats]"""
import json
import math
import sys
import time

from sympy import N, simplify
from sympy.parsing.sympy_parser import parse_expr


def decide(a, b):
    try:
        if a == b:
            return True
    except Exception:
        pass
    try:
        if simplify(a - b) == 0:
            return True
    except Exception:
        pass
    try:
        return math.isclose(float(N(a)), float(N(b)), rel_tol=1e-4)
    except Exception:
        return False


def main():
    pairs = [json.loads(line) for line in open(sys.argv[1])]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    parsed = [(parse_expr(p["a"]), parse_expr(p["b"])) for p in pairs]
    start = time.perf_counter()
    verdicts = []
    for _ in range(repeats):
        verdicts = [decide(a, b) for a, b in parsed]
    elapsed = time.perf_counter() - start
    calls = repeats * len(parsed)
    print(f"sympy peer: {calls} decisions ({len(parsed)} pairs x {repeats}) in {elapsed:.3f} s = "
          f"{1e6 * elapsed / calls:.1f} us/call ({sum(verdicts)} equal per pass)")
    disagree = [(p, v) for p, v in zip(pairs, verdicts) if "ours" in p and bool(p["ours"]) != bool(v)]
    for p, v in disagree:
        print(f"  disagreement: {p.get('latex_a', p['a'])!r} vs {p.get('latex_b', p['b'])!r}: sympy {v}, ours {p['ours']}")
    print(f"verdicts compared with ours: {len(pairs) - len(disagree)} of {len(pairs)} agree")
    sys.exit(1 if disagree else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Peer for bench_grading's symbolic stage: the same expression pairs (as parsed by our LaTeX
reader, emitted with --emit-sympy) decided the way grader.py::symbolic_equal does after parsing:
a == b, then simplify(a - b) == 0, then isclose(float(N(a)), float(N(b)), rel_tol=1e-4).
Parsing is excluded on both sides' peer timing (sympy's parse_latex needs antlr4, absent here).
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
    equal = 0
    for _ in range(repeats):
        for a, b in parsed:
            equal += decide(a, b)
    elapsed = time.perf_counter() - start
    calls = repeats * len(parsed)
    print(f"sympy peer: {calls} decisions ({len(parsed)} pairs x {repeats}) in {elapsed:.3f} s = "
          f"{1e6 * elapsed / calls:.1f} us/call ({equal // repeats} equal per pass)")


if __name__ == "__main__":
    main()

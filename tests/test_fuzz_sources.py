#!/usr/bin/env python3
"""The fuzz build's source lists (fuzz/sources.cmake) are complete, checked without building it.

The fuzz build (scripts/fuzz.sh, clang + ASan) compiles only the sources each group of harnesses
reaches, so when a parser starts to call a function in a file its group does not list, the fuzz
build stops linking, and nothing in CI builds it. This test reads the default build's object
files instead: for each group, the objects of its sources and of the groups it links must define
every function of ours that those objects call. A function defined by another object of the
library, and by none of the group's, is a source the group is missing. Functions of other
libraries (LibTorch, fmt, ...) are not ours to list. What this does not see: a harness calling
into a file its group lacks (the harnesses are not compiled here) and a wrong-but-linking split.

Usage: test_fuzz_sources.py MANIFEST OBJECTS
  MANIFEST  <build>/fuzz_sources.txt, lines "<group>: <linked groups> | <sources>"
  OBJECTS   <build>/fuzz_objects.txt, the library's object files, one per line
"""
import subprocess
import sys
from pathlib import Path

DEFINED_STRONG = set("TDBRu")  # global definitions the linker must find exactly once
DEFINED_ANY = DEFINED_STRONG | set("VW")  # plus weak ones (inline functions, templates)


def read_manifest(path):
    groups = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        name, sep, rest = line.partition(":")
        links, bar, sources = rest.partition("|")
        if not sep or not bar:
            sys.exit(f"{path}:{number}: expected '<group>: <links> | <sources>', got {line!r}")
        groups[name.strip()] = (links.split(), sources.split())
    return groups


def object_symbols(obj):
    """(defined, strongly defined, undefined) global symbol names of one object file."""
    out = subprocess.run(["nm", "-P", str(obj)], check=True, capture_output=True, text=True).stdout
    defined, strong, undefined = set(), set(), set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        name, kind = fields[0], fields[1]
        if kind == "U":
            undefined.add(name)
        elif kind in DEFINED_ANY:
            defined.add(name)
            if kind in DEFINED_STRONG:
                strong.add(name)
    return defined, strong, undefined


def demangle(names):
    out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True)
    lines = out.stdout.splitlines() if out.returncode == 0 else []
    return lines if len(lines) == len(names) else list(names)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    groups = read_manifest(sys.argv[1])
    objects = [Path(line) for line in Path(sys.argv[2]).read_text().split("\n") if line.strip()]
    by_source = {}  # "config/run_config" -> object path
    for obj in objects:
        text = obj.as_posix()
        at = text.rfind("/src/")
        if at >= 0 and text.endswith(".cpp.o"):
            by_source[text[at + len("/src/"):-len(".cpp.o")]] = obj
    if not by_source:
        sys.exit(f"{sys.argv[2]}: no object file of src/ is listed")
    symbols = {source: object_symbols(obj) for source, obj in by_source.items()}
    home = {}  # strongly defined symbol -> the source defining it
    for source, (_, strong, _) in symbols.items():
        for name in strong:
            home[name] = source

    problems = []
    for group, (_, sources) in groups.items():
        for source in sources:
            if source not in by_source:
                problems.append(f"group {group}: fuzz/sources.cmake lists {source}, but the library has no "
                                f"src/{source}.cpp (renamed or removed?)")
    for group in groups:
        closure, pending = [], [group]  # the group and every group it links, transitively
        while pending:
            name = pending.pop()
            if name in closure:
                continue
            if name not in groups:
                problems.append(f"group {group}: links group '{name}', which fuzz/sources.cmake does not define")
                continue
            closure.append(name)
            pending.extend(groups[name][0])
        sources = [s for name in closure for s in groups[name][1] if s in symbols]
        defined = set().union(*(symbols[s][0] for s in sources)) if sources else set()
        missing = {}  # defining source -> [(caller source, symbol)]
        for caller in sources:
            for name in symbols[caller][2] - defined:
                if name in home:
                    missing.setdefault(home[name], []).append((caller, name))
        for source, uses in sorted(missing.items()):
            caller, name = sorted(uses)[0]
            readable = demangle([name])[0]
            if "(" in readable:  # the name, not its parameter list (nlohmann's types run to lines)
                readable = readable[:readable.index("(")] + "(...)"
            problems.append(f"group {group}: src/{caller}.cpp calls {readable}, defined in src/{source}.cpp, "
                            f"which neither the group nor a group it links lists ({len(uses)} such call"
                            f"{'s' if len(uses) != 1 else ''}): add {source} to LR_FUZZ_SOURCES_{group} "
                            f"(or to a group it links) in fuzz/sources.cmake")
    if problems:
        print("\n".join(problems))
        print(f"FAIL: {len(problems)} problem(s) in fuzz/sources.cmake")
        return 1
    total = sum(len(sources) for _, sources in groups.values())
    print(f"OK: {len(groups)} fuzz groups, {total} sources, each group's calls into the library resolved "
          f"within the group and the groups it links ({len(by_source)} objects read)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The fuzz build's source lists (fuzz/sources.cmake) are complete, checked without building it.

The fuzz build (scripts/fuzz.sh, clang + ASan) compiles only the sources each group of harnesses
reaches, so when a parser starts to call a function in a file its group does not list, the fuzz
build stops linking, and nothing in CI builds it. This test reads the default build's object
files instead: for each group, the objects of its sources and of the groups it links must define
every function of ours that those objects call, and so must each harness's group for the harness
(its object from tests/fuzz_replay, which compiles every harness). A function defined by another
object of the library, and by none of the group's, is a source the group is missing. Functions
of other libraries (LibTorch, fmt, ...) are not ours to list. What this does not see: a split
that links but pulls LibTorch into a group meant to run without it.

Usage: test_fuzz_sources.py MANIFEST OBJECTS
  MANIFEST  <build>/fuzz_sources.txt, lines "<group>: <linked groups> | <sources>" and
            "harness <name>: <group>"
  OBJECTS   <build>/fuzz_objects.txt, the library's and fuzz_replay's object files, one per line
"""
import subprocess
import sys
from pathlib import Path

DEFINED_STRONG = set("TDBRu")  # global definitions the linker must find exactly once
DEFINED_ANY = DEFINED_STRONG | set("VW")  # plus weak ones (inline functions, templates)


def read_manifest(path):
    groups, harnesses = {}, {}
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("harness "):
            name, sep, group = line[len("harness "):].partition(":")
            if not sep or not group.strip():
                sys.exit(f"{path}:{number}: expected 'harness <name>: <group>', got {line!r}")
            harnesses[name.strip()] = group.strip()
            continue
        name, sep, rest = line.partition(":")
        links, bar, sources = rest.partition("|")
        if not sep or not bar:
            sys.exit(f"{path}:{number}: expected '<group>: <links> | <sources>', got {line!r}")
        groups[name.strip()] = (links.split(), sources.split())
    return groups, harnesses


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
    groups, harnesses = read_manifest(sys.argv[1])
    objects = [Path(line) for line in Path(sys.argv[2]).read_text().split("\n") if line.strip()]
    by_source, by_harness = {}, {}  # "config/run_config" / "fuzz_jsonl" -> object path
    for obj in objects:
        text = obj.as_posix()
        if not text.endswith(".cpp.o"):
            continue
        at = text.rfind("/src/")
        if at >= 0:
            by_source[text[at + len("/src/"):-len(".cpp.o")]] = obj
        elif text.rfind("/fuzz/") >= 0:
            by_harness[Path(text[:-len(".cpp.o")]).name] = obj
    if not by_source:
        sys.exit(f"{sys.argv[2]}: no object file of src/ is listed")
    if not by_harness:
        sys.exit(f"{sys.argv[2]}: no object file of fuzz/ is listed (tests/fuzz_replay compiles the harnesses)")
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

    def closure_of(group, who):
        """The sources of `group` and of every group it links, transitively."""
        closure, pending = [], [group]
        while pending:
            name = pending.pop()
            if name in closure:
                continue
            if name not in groups:
                problems.append(f"{who}: links group '{name}', which fuzz/sources.cmake does not define")
                continue
            closure.append(name)
            pending.extend(groups[name][0])
        return [s for name in closure for s in groups[name][1] if s in symbols]

    def check(who, group, sources, callers):
        """callers: (label, undefined symbols); each call into the library must land in `sources`,
        the closure of `group`."""
        defined = set().union(*(symbols[s][0] for s in sources)) if sources else set()
        missing = {}  # defining source -> [(caller, symbol)]
        for caller, undefined in callers:
            for name in undefined - defined:
                if name in home:
                    missing.setdefault(home[name], []).append((caller, name))
        for source, uses in sorted(missing.items()):
            caller, name = sorted(uses)[0]
            readable = demangle([name])[0]
            if "(" in readable:  # the name, not its parameter list (nlohmann's types run to lines)
                readable = readable[:readable.index("(")] + "(...)"
            problems.append(f"{who}: {caller} calls {readable}, defined in src/{source}.cpp, which neither "
                            f"group {group} nor a group it links lists ({len(uses)} such call"
                            f"{'s' if len(uses) != 1 else ''}): add {source} to LR_FUZZ_SOURCES_{group} "
                            f"(or to a group it links) in fuzz/sources.cmake"
                            + (", or give the harness another group (LR_FUZZ_GROUP_...)" if who.startswith("harness")
                               else ""))

    for group in groups:
        sources = closure_of(group, f"group {group}")
        check(f"group {group}", group, sources, [(f"src/{s}.cpp", symbols[s][2]) for s in sources])
    checked = []
    for harness, group in sorted(harnesses.items()):
        if harness not in by_harness:
            continue  # not compiled into fuzz_replay (fuzz_sentencepiece: it refuses LibTorch)
        if group not in groups:
            problems.append(f"harness {harness}: group '{group}' is not defined in fuzz/sources.cmake")
            continue
        check(f"harness {harness}", group, closure_of(group, f"harness {harness}"),
              [(f"fuzz/{harness}.cpp", object_symbols(by_harness[harness])[2])])
        checked.append(harness)
    if problems:
        print("\n".join(problems))
        print(f"FAIL: {len(problems)} problem(s) in fuzz/sources.cmake")
        return 1
    total = sum(len(sources) for _, sources in groups.values())
    print(f"OK: {len(groups)} fuzz groups ({total} sources) and {len(checked)} of {len(harnesses)} harnesses: "
          f"every call into the library resolves within the group and the groups it links "
          f"({len(by_source) + len(checked)} objects read; not compiled here: "
          f"{', '.join(sorted(set(harnesses) - set(checked))) or 'none'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

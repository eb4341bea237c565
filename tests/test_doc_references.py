#!/usr/bin/python3
"""Keeps the code's references to documentation inside the repository: every `docs/<name>.md` cited
in src/, include/, tests/, scripts/ or bench/ exists, and so does the heading it names
(`docs/x.md#anchor` or `docs/x.md (Heading)`); the old citation styles that pointed outside the
repository (section signs, DESIGN, bare formats.md/method.md/math_eval.md) are gone; no file there,
in configs/ or in CMakeLists.txt refers to the shared folder beside the repository; and the links
between the docs/ files resolve."""
import os
import re
import subprocess
import sys
import unittest

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
CODE_DIRS = ["src", "include", "tests", "scripts", "bench"]
NO_SHARED_PATHS = CODE_DIRS + ["configs", "CMakeLists.txt"]
SHARED = (".." + "/shared").encode()  # spelled in two pieces so this file does not match itself
THIS_FILE = "tests/test_doc_references.py"  # names every pattern it looks for
FIXTURES = "tests/fixtures/"  # data (vocabularies, model outputs), not prose: no citations to check
# A dated log of measurements: it quotes the commands as they were run, when the data lived beside
# the repository. Rewriting them would misstate how those figures were taken.
SHARED_EXEMPT = {"bench/RESULTS.md"}

CITATION = re.compile(r"docs/([A-Za-z0-9_-]+\.md)(?:#([A-Za-z0-9_-]+)|[ ]\(([^()\n]+)\))?")
# Citation styles of documents that are not in the repository.
OLD_STYLES = [
    (re.compile("\u00a7"), "a section sign"),
    (re.compile(r"\bDESIGN(\.md|\s*\u00a7)"), "DESIGN"),
    (re.compile(r"(?<!docs/)\b(formats|method|design|grading|math_eval|anchors|gpu)\.md\b"), "a doc without docs/"),
    (re.compile(r"shared/docs"), "shared/docs"),
]


def repository_files(paths):
    """Tracked and untracked-but-not-ignored files under `paths` (relative to ROOT)."""
    try:
        out = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--"]
                             + paths, check=True, capture_output=True).stdout
        files = [f for f in out.decode("utf-8").split("\0") if f]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: walk, skipping installed peers
        files = []
        for path in paths:
            full = os.path.join(ROOT, path)
            if os.path.isfile(full):
                files.append(path)
            for dirpath, dirnames, filenames in os.walk(full):
                dirnames[:] = [d for d in dirnames if d != "node_modules" and not d.startswith(".")]
                files += [os.path.relpath(os.path.join(dirpath, f), ROOT) for f in filenames]
    return sorted(f for f in set(files) if os.path.isfile(os.path.join(ROOT, f)))


def text_lines(relpath):
    """The file's lines, or [] for a binary file."""
    with open(os.path.join(ROOT, relpath), "rb") as f:
        data = f.read()
    if b"\0" in data[:8192]:
        return []
    return data.decode("utf-8", errors="replace").splitlines()


def code_files():
    """The files whose comments may cite docs: everything under CODE_DIRS but fixtures and this file."""
    return [f for f in repository_files(CODE_DIRS) if not f.startswith(FIXTURES) and f != THIS_FILE]


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def headings(doc):
    """{anchor: heading text} of docs/<doc>, or None when it does not exist."""
    path = os.path.join(ROOT, "docs", doc)
    if not os.path.isfile(path):
        return None
    found, fenced = {}, False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("```"):
                fenced = not fenced
            match = None if fenced else re.match(r"#{1,6} (.+?)\s*$", line)
            if match:
                found[slug(match.group(1))] = match.group(1)
    return found


def citation_problem(doc, anchor, heading):
    """Why a citation does not resolve, or None."""
    known = headings(doc)
    if known is None:
        return "docs/%s does not exist" % doc
    if anchor is not None and anchor not in known:
        return "docs/%s has no heading with anchor #%s" % (doc, anchor)
    if heading is not None and slug(heading) not in known:
        return "docs/%s has no heading '%s' (headings: %s)" % (doc, heading, ", ".join(known.values()))
    return None


class DocReferences(unittest.TestCase):
    def test_every_cited_doc_and_heading_exists(self):
        problems, cited = [], 0
        for relpath in code_files():
            for number, line in enumerate(text_lines(relpath), 1):
                for match in CITATION.finditer(line):
                    cited += 1
                    why = citation_problem(*match.groups())
                    if why:
                        problems.append("%s:%d: %s" % (relpath, number, why))
        self.assertEqual(problems, [], "\n" + "\n".join(problems))
        self.assertGreater(cited, 0, "no docs/ citation found at all: is ROOT right? (%s)" % ROOT)

    def test_no_citation_of_documents_outside_the_repository(self):
        problems = []
        for relpath in code_files():
            for number, line in enumerate(text_lines(relpath), 1):
                for pattern, what in OLD_STYLES:
                    if pattern.search(line):
                        problems.append("%s:%d: cites %s: %s" % (relpath, number, what, line.strip()[:120]))
        self.assertEqual(problems, [], "\n" + "\n".join(problems))

    def test_nothing_refers_to_the_shared_folder_beside_the_repository(self):
        problems, scanned = [], 0
        for relpath in repository_files(NO_SHARED_PATHS):
            if relpath in SHARED_EXEMPT or relpath == THIS_FILE:
                continue
            with open(os.path.join(ROOT, relpath), "rb") as f:
                data = f.read()  # bytes: fixtures of any encoding, fast on large vocabularies
            scanned += 1
            for number, line in enumerate(data.split(b"\n"), 1):
                if SHARED in line:
                    problems.append("%s:%d: %s" % (relpath, number, line.strip()[:120].decode("utf-8", "replace")))
        self.assertEqual(problems, [], "\n" + "\n".join(problems))
        self.assertGreater(scanned, 100)

    def test_links_between_the_docs_resolve(self):
        problems, links = [], 0
        for doc in sorted(os.listdir(os.path.join(ROOT, "docs"))):
            if not doc.endswith(".md"):
                continue
            for number, line in enumerate(text_lines(os.path.join("docs", doc)), 1):
                for target, anchor in re.findall(r"\]\(([A-Za-z0-9_-]*\.md)?(?:#([A-Za-z0-9_-]+))?\)", line):
                    links += 1
                    why = citation_problem(target or doc, anchor or None, None)
                    if why:
                        problems.append("docs/%s:%d: %s" % (doc, number, why))
        self.assertEqual(problems, [], "\n" + "\n".join(problems))
        self.assertGreater(links, 0)

    def test_the_checker_itself_catches_what_it_should(self):
        # A wrong file, a wrong anchor and a wrong heading are reported; a right one is not.
        self.assertIsNotNone(citation_problem("no-such-doc.md", None, None))
        self.assertIsNotNone(citation_problem("design.md", "no-such-anchor", None))
        self.assertIsNotNone(citation_problem("design.md", None, "No Such Heading"))
        self.assertIsNone(citation_problem("design.md", "layers", None))
        self.assertIsNone(citation_problem("formats.md", None, "Contrast dataset"))
        self.assertEqual(slug("Model graph & more"), "model-graph--more")
        old = "// see formats.md \u00a71 and DESIGN \u00a74"
        self.assertEqual(sum(bool(p.search(old)) for p, _ in OLD_STYLES), 3)
        self.assertFalse(any(p.search("// docs/formats.md (Safetensors); math_eval.py") for p, _ in OLD_STYLES))


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])

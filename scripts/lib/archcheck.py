#!/usr/bin/env python3
"""The rules ARCHITECTURE.md promises, checked on the source tree (run by scripts/test.sh).

1. No import circles: no two source files of a crate import each other, directly or in a loop.
   An edge A -> B exists when A names an item of B through a `crate::`, `super::` or `self::` path
   (in a `use` or inline). A file naming an item of one of its own ancestor modules (its `mod.rs`,
   `lib.rs`, `main.rs`) is not an edge: a child using what its parent declares is how Rust modules
   nest. A parent reaching into a child is an edge.
2. No source file is over MAX_LOC lines of code (non-blank lines that are not only a comment).
3. No `#[allow(clippy::too_many_arguments)]`.

Usage: scripts/lib/archcheck.py [--report] [CRATE_SRC_DIR ...]
With --report it prints the figures (largest files, the import graph's size) and exits 0 unless a
rule is broken.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

MAX_LOC = 600
DEFAULT_CRATES = ["cli/src", "emulator/src", "sim/src", "broker/src"]

PATH_RE = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE_RE = re.compile(r"\buse\s+((?:crate|super|self)::[^;]*);", re.S)


def code_lines(text: str) -> int:
    n = 0
    in_block = False
    for line in text.splitlines():
        s = line.strip()
        if in_block:
            if "*/" in s:
                in_block = False
            continue
        if not s:
            continue
        if s.startswith("//"):
            continue
        if s.startswith("/*"):
            if "*/" not in s:
                in_block = True
            continue
        n += 1
    return n


def strip_comments_and_strings(text: str) -> str:
    """The code with comments removed and string and char literals emptied (a small lexer)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c in "rb" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) and re.match(r'b?r#*"', text[i:]):
            m = re.match(r'b?r(#*)"', text[i:])
            close = '"' + m.group(1)
            j = text.find(close, i + m.end())
            out.append('""')
            i = n if j < 0 else j + len(close)
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""')
            i = j + 1
        elif c == "'":
            m = re.match(r"'(?:\\.[^']*|[^'\\])'", text[i:])
            if m:
                out.append("' '")
                i += m.end()
            else:  # a lifetime
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


class Crate:
    def __init__(self, src: Path):
        self.src = src
        self.files = sorted(p for p in src.rglob("*.rs"))
        # module path (tuple) -> file
        self.modules: dict[tuple[str, ...], Path] = {}
        for f in self.files:
            self.modules[self.module_of(f)] = f

    def module_of(self, f: Path) -> tuple[str, ...]:
        rel = f.relative_to(self.src).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "mod":
            parts.pop()
        if len(parts) == 1 and parts[0] in ("lib", "main"):
            return ()
        return tuple(parts)

    def file_for(self, path: tuple[str, ...]) -> Path | None:
        """The file of the deepest module that is a prefix of `path`."""
        for i in range(len(path), -1, -1):
            f = self.modules.get(path[:i])
            if f is not None:
                return f
        return None

    def ancestors(self, f: Path) -> set[Path]:
        m = self.module_of(f)
        out = set()
        for i in range(len(m)):
            a = self.modules.get(m[:i])
            if a is not None:
                out.add(a)
        # lib.rs and main.rs are both roots
        for root in ("lib.rs", "main.rs"):
            p = self.src / root
            if p.exists():
                out.add(p)
        return out

    def edges(self) -> dict[Path, set[Path]]:
        graph: dict[Path, set[Path]] = {f: set() for f in self.files}
        for f in self.files:
            text = strip_comments_and_strings(f.read_text(encoding="utf-8"))
            me = self.module_of(f)
            targets: list[tuple[str, ...]] = []
            for m in PATH_RE.finditer(text):
                targets.append(self.resolve(me, m.group(1), m.group(2)))
            # paths through a child module declared here (`mod x;` then `x::Item`)
            for child in re.findall(r"\bmod\s+([A-Za-z_][A-Za-z0-9_]*)\s*;", text):
                pat = r"(?<![A-Za-z0-9_:])" + child + r"((?:::[A-Za-z_][A-Za-z0-9_]*)+)"
                for m in re.finditer(pat, text):
                    targets.append(self.resolve(me, "self", "::" + child + m.group(1)))
            # use crate::a::{b, c::d}: expand one level of braces
            for m in USE_RE.finditer(text):
                body = m.group(1)
                brace = body.find("{")
                if brace < 0:
                    continue
                head = body[:brace].rstrip(":").strip()
                root, _, rest = head.partition("::")
                base = self.resolve(me, root, "::" + rest if rest else "")
                inner = body[brace + 1 : body.rfind("}")]
                for item in re.split(r",(?![^{]*\})", inner):
                    item = item.strip().split(" as ")[0].strip()
                    name = re.match(r"[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*", item)
                    if name and name.group(0) != "self":
                        targets.append(base + tuple(name.group(0).split("::")))
            anc = self.ancestors(f)
            for t in targets:
                g = self.file_for(t)
                if g is None or g == f or g in anc:
                    continue
                graph[f].add(g)
        return graph

    def resolve(self, me: tuple[str, ...], root: str, rest: str) -> tuple[str, ...]:
        parts = [p for p in rest.split("::") if p]
        if root == "crate":
            base: list[str] = []
        elif root == "self":
            base = list(me)
        else:  # super (possibly repeated: super::super::x)
            base = list(me[:-1])
            while parts and parts[0] == "super":
                parts.pop(0)
                base = base[:-1]
        return tuple(base + parts)


def sccs(graph: dict[Path, set[Path]]) -> list[list[Path]]:
    index: dict[Path, int] = {}
    low: dict[Path, int] = {}
    stack: list[Path] = []
    on: set[Path] = set()
    out: list[list[Path]] = []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v: Path) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def main(argv: list[str]) -> int:
    report = "--report" in argv
    dirs = [a for a in argv if not a.startswith("--")] or DEFAULT_CRATES
    top = Path(__file__).resolve().parents[2]
    os.chdir(top)
    problems: list[str] = []
    sizes: list[tuple[int, Path]] = []
    for d in dirs:
        src = Path(d)
        if not src.is_dir():
            continue
        crate = Crate(src)
        graph = crate.edges()
        for comp in sccs(graph):
            problems.append("import circle: " + " <-> ".join(str(p) for p in comp))
        for f in crate.files:
            text = f.read_text(encoding="utf-8")
            loc = code_lines(text)
            sizes.append((loc, f))
            if loc > MAX_LOC:
                problems.append(f"{f}: {loc} lines of code (limit {MAX_LOC})")
            if re.search(r"allow\s*\(\s*clippy::too_many_arguments", text):
                problems.append(f"{f}: allows clippy::too_many_arguments")
        if report:
            n_edges = sum(len(v) for v in graph.values())
            print(f"{d}: {len(crate.files)} files, {n_edges} import edges")
    if report:
        print("largest files (lines of code):")
        for loc, f in sorted(sizes, reverse=True)[:10]:
            print(f"  {loc:5}  {f}")
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"archcheck: {len(problems)} problem(s); see ARCHITECTURE.md", file=sys.stderr)
        return 1
    print("archcheck: no import circles, no file over", MAX_LOC, "lines of code, no too_many_arguments")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

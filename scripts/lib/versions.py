#!/usr/bin/env python3
"""One version story: the workspace version in Cargo.toml (X.Y.Z) is the release tag vX.Y.Z,
and every place a user or a wrapper names a version says the same:

  actions/lib/tgctl.js                 DEFAULT_TGCTL_VERSION = 'X.Y.Z' (what the action downloads)
  circleci-orb/src/scripts/install.sh  TGCTL_DEFAULT_VERSION="X.Y.Z" (orb; embedded in the component)
  gitlab/templates/connect.yml         the embedded install script, and the default image tag
  docs, READMEs, examples              uses: tgctl/tgctl/actions/NAME@vX (the major tag the release
                                       moves), component: .../connect@X.Y.Z, orbs: tgctl/tgctl@X.Y.Z,
                                       ghcr.io/tgctl/tgctl:X.Y.Z, releases/download/vX.Y.Z/

usage: versions.py [--root DIR] --check [--tag vX.Y.Z]   every reference agrees (and with the tag, and
                                             CHANGELOG.md has a section for the tag)
       versions.py --set X.Y.Z              rewrites every reference (and Cargo.toml, Cargo.lock)
       versions.py --notes X.Y.Z            prints CHANGELOG.md's section for X.Y.Z (release notes)
       versions.py --print                  prints the version
Exit 1 with one line per disagreement.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEMVER = r"[0-9]+\.[0-9]+\.[0-9]+"

# (path, pattern with one group around the version, what the version must be: "full" or "major")
PINNED = [
    ("actions/lib/tgctl.js", r"^const DEFAULT_TGCTL_VERSION = '(" + SEMVER + r")';$", "full"),
    ("circleci-orb/src/scripts/install.sh", r'^TGCTL_DEFAULT_VERSION="(' + SEMVER + r')"$', "full"),
]
# References in prose and examples, searched in every file under DOC_DIRS (and the READMEs).
REFERENCES = [
    (r"tgctl/tgctl/actions/[a-z-]+@v([0-9]+(?:\.[0-9]+\.[0-9]+)?)\b", "major-or-full"),
    (r"/ci-components/[a-z-]+@(" + SEMVER + r"|[0-9]+)\b", "full"),
    (r"\btgctl: tgctl/tgctl@(" + SEMVER + r"|[0-9]+)\b", "full"),
    (r"\bghcr\.io/tgctl/tgctl:(" + SEMVER + r")\b", "full"),
    (r"github\.com/tgctl/tgctl/releases/download/v(" + SEMVER + r")/", "full"),
]
DOC_FILES = ["README.md", "CHANGELOG.md", "ARCHITECTURE.md"]
DOC_DIRS = ["docs", "examples", "actions", "gitlab", "circleci-orb", "docker", ".github", ".circleci"]
SKIP_DIRS = {"tests", "node_modules"}
TEXT_EXT = (".md", ".yml", ".yaml", ".sh", ".js", ".json", "Dockerfile")


def workspace_version():
    text = open(os.path.join(ROOT, "Cargo.toml"), encoding="utf-8").read()
    m = re.search(r"^\[workspace\.package\]\n(?:[^\[]*\n)*?version = \"(" + SEMVER + r")\"", text, re.M)
    if not m:
        raise SystemExit("versions: no [workspace.package] version in Cargo.toml")
    return m.group(1)


def doc_paths():
    for f in DOC_FILES:
        yield f
    for d in DOC_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, d)):
            dirnames[:] = [x for x in dirnames if x not in SKIP_DIRS]
            for name in filenames:
                if name.endswith(TEXT_EXT):
                    yield os.path.relpath(os.path.join(dirpath, name), ROOT)


def expected(kind, version, found):
    major = version.split(".")[0]
    if kind == "full":
        return version
    return version if "." in found else major


def check(version):
    problems = []
    for path, pattern, kind in PINNED:
        text = open(os.path.join(ROOT, path), encoding="utf-8").read()
        m = re.search(pattern, text, re.M)
        if not m:
            problems.append(f"{path}: no version pin matching /{pattern}/")
        elif m.group(1) != version:
            problems.append(f"{path}: {m.group(1)}, not {version}")
    seen = 0
    for path in sorted(set(doc_paths())):
        text = open(os.path.join(ROOT, path), encoding="utf-8").read()
        for pattern, kind in REFERENCES:
            for m in re.finditer(pattern, text):
                seen += 1
                want = expected(kind, version, m.group(1))
                if m.group(1) != want:
                    line = text.count("\n", 0, m.start()) + 1
                    problems.append(f"{path}:{line}: {m.group(0)} names {m.group(1)}, not {want}")
    embed = subprocess.run([sys.executable, os.path.join(ROOT, "scripts/lib/gitlab-embed.py"), "--check"], cwd=ROOT,
                           capture_output=True, text=True, check=False)
    if embed.returncode != 0:
        problems.append("gitlab/templates/connect.yml does not embed the current orb scripts: " + embed.stdout.strip() + embed.stderr.strip())
    return problems, seen


def notes(version):
    """The CHANGELOG.md section of a version: from its heading to the next one of its level."""
    text = open(os.path.join(ROOT, "CHANGELOG.md"), encoding="utf-8").read()
    m = re.search(r"^## \[?v?" + re.escape(version) + r"\]?(?:[ \t].*)?$", text, re.M)
    if not m:
        return None
    rest = text[m.end():]
    end = re.search(r"^## ", rest, re.M)
    return rest[: end.start() if end else len(rest)].strip() + "\n"


def set_version(new):
    if not re.fullmatch(SEMVER, new):
        raise SystemExit(f"versions: {new!r} is not X.Y.Z")
    old = workspace_version()
    major = new.split(".")[0]
    edits = {}

    def sub(path, pattern, repl):
        full = os.path.join(ROOT, path)
        text = edits.get(path) or open(full, encoding="utf-8").read()
        edits[path] = re.sub(pattern, repl, text, flags=re.M)

    sub("Cargo.toml", r'^(version = ")' + re.escape(old) + r'(")', r"\g<1>" + new + r"\g<2>")
    for path, pattern, _ in PINNED:
        sub(path, pattern, lambda m: m.group(0).replace(m.group(1), new))
    for path in set(doc_paths()):
        for pattern, kind in REFERENCES:
            def repl(m, kind=kind):
                want = new if kind == "full" or "." in m.group(1) else major
                return m.group(0)[: m.start(1) - m.start(0)] + want + m.group(0)[m.end(1) - m.start(0):]
            sub(path, pattern, repl)
    for path, text in edits.items():
        with open(os.path.join(ROOT, path), "w", encoding="utf-8") as f:
            f.write(text)
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts/lib/gitlab-embed.py"), "--write"], cwd=ROOT, check=True)
    subprocess.run(["cargo", "update", "--workspace", "--offline", "--quiet"], cwd=ROOT, check=False)
    print(f"versions: {old} -> {new}; now move CHANGELOG.md's Unreleased section under '## {new}'")


def main():
    global ROOT
    args = sys.argv[1:]
    if args[:1] == ["--root"]:
        ROOT, args = os.path.abspath(args[1]), args[2:]
    if args == ["--print"]:
        print(workspace_version())
        return 0
    if args[:1] == ["--set"] and len(args) == 2:
        set_version(args[1])
        return 0
    if args[:1] == ["--notes"] and len(args) == 2:
        text = notes(args[1].lstrip("v"))
        if text is None:
            print(f"versions: CHANGELOG.md has no section '## {args[1].lstrip('v')}': rename 'Unreleased' to it before tagging", file=sys.stderr)
            return 1
        sys.stdout.write(text)
        return 0
    if args[:1] != ["--check"]:
        print(__doc__, file=sys.stderr)
        return 2
    version = workspace_version()
    problems, seen = check(version)
    if "--tag" in args:
        tag = args[args.index("--tag") + 1]
        if tag != f"v{version}":
            problems.append(f"the tag {tag} is not v{version} (Cargo.toml's workspace version)")
        if notes(version) is None:
            problems.append(f"CHANGELOG.md has no section '## {version}' for the release notes")
    for p in problems:
        print(f"versions: {p}")
    if problems:
        print(f"versions: {len(problems)} disagree with {version}; `scripts/lib/versions.py --set X.Y.Z` rewrites them all")
        return 1
    print(f"versions: {version} everywhere ({len(PINNED)} pins, {seen} references in docs and examples)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Packs the orb's unpacked layout (circleci-orb/src) into one orb.yml, as `circleci orb pack`
does, and checks what the CircleCI CLI would reject or what would break at run time:
includes that don't exist, parameters used but not declared (or declared and never used),
steps that name a command that doesn't exist, executors that don't exist, and examples whose
usage does not refer to this orb's jobs and commands.

usage: orb-pack.py SRC_DIR [OUT_FILE]      (exit 1 with one line per problem)
"""
import os
import re
import sys

import yaml

BUILTIN_STEPS = {"run", "checkout", "when", "unless", "steps", "setup_remote_docker", "save_cache",
                 "restore_cache", "store_artifacts", "store_test_results", "persist_to_workspace",
                 "attach_workspace", "add_ssh_keys"}
PARAM_RE = re.compile(r"<<\s*parameters\.([A-Za-z0-9_-]+)\s*>>")
INCLUDE_RE = re.compile(r"<<\s*include\(([^)]+)\)\s*>>")


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def walk_strings(node, fn):
    if isinstance(node, dict):
        return {k: walk_strings(v, fn) for k, v in node.items()}
    if isinstance(node, list):
        return [walk_strings(v, fn) for v in node]
    if isinstance(node, str):
        return fn(node)
    return node


def main():
    src = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else None
    problems = []
    orb = load(os.path.join(src, "@orb.yml"))
    for section in ("commands", "jobs", "executors", "examples"):
        d = os.path.join(src, section)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if name.endswith((".yml", ".yaml")):
                orb.setdefault(section, {})[name.rsplit(".", 1)[0]] = load(os.path.join(d, name))

    def include(s):
        def repl(m):
            p = os.path.join(src, m.group(1).strip())
            if not os.path.isfile(p):
                problems.append(f"include of a missing file: {m.group(1)}")
                return m.group(0)
            with open(p, encoding="utf-8") as f:
                return f.read()
        return INCLUDE_RE.sub(repl, s)

    orb = walk_strings(orb, include)
    commands = set(orb.get("commands", {}))
    executors = set(orb.get("executors", {}))
    jobs = set(orb.get("jobs", {}))

    def check_steps(where, steps):
        for step in steps or []:
            name = step if isinstance(step, str) else next(iter(step))
            body = None if isinstance(step, str) else step[name]
            if name in ("when", "unless"):
                check_steps(where, (body or {}).get("steps"))
            elif name not in BUILTIN_STEPS and name not in commands:
                problems.append(f"{where}: step {name!r} is neither a built-in step nor a command of this orb")
            elif name in commands and isinstance(body, dict):
                declared = set((orb["commands"][name] or {}).get("parameters") or {})
                for arg in body:
                    if arg not in declared and arg not in ("name",):
                        problems.append(f"{where}: command {name!r} has no parameter {arg!r}")

    for section in ("commands", "jobs", "executors"):
        for name, body in (orb.get(section) or {}).items():
            where = f"{section}/{name}"
            if not isinstance(body, dict) or not body.get("description"):
                problems.append(f"{where}: no description")
                continue
            declared = set(body.get("parameters") or {})
            for p, spec in (body.get("parameters") or {}).items():
                if not (spec or {}).get("description"):
                    problems.append(f"{where}: parameter {p!r} has no description")
            text = yaml.safe_dump({k: v for k, v in body.items() if k != "parameters"})
            # Scripts are included verbatim; only << parameters.x >> outside them counts.
            used = set(PARAM_RE.findall(text))
            for p in sorted(used - declared):
                problems.append(f"{where}: uses parameter {p!r}, which it does not declare")
            for p in sorted(declared - used):
                problems.append(f"{where}: declares parameter {p!r} and never uses it")
            if section in ("commands", "jobs"):
                check_steps(where, body.get("steps"))
            if section == "jobs":
                ex = body.get("executor")
                ex_name = ex.get("name") if isinstance(ex, dict) else ex
                if ex_name and ex_name not in executors:
                    problems.append(f"{where}: executor {ex_name!r} does not exist")
    for name, ex in (orb.get("examples") or {}).items():
        usage = (ex or {}).get("usage") or {}
        if not ex.get("description") or not usage:
            problems.append(f"examples/{name}: needs description and usage")
            continue
        aliases = [a for a, ref in (usage.get("orbs") or {}).items() if str(ref).startswith("tgctl/tgctl@")]
        if not aliases:
            problems.append(f"examples/{name}: usage does not import tgctl/tgctl")
            continue
        text = yaml.safe_dump({k: v for k, v in usage.items() if k != "orbs"})
        for ref in re.findall(rf"\b{re.escape(aliases[0])}/([A-Za-z0-9_-]+)", text):
            if ref not in jobs and ref not in commands:
                problems.append(f"examples/{name}: {aliases[0]}/{ref} is not a job or command of this orb")

    for p in problems:
        print(f"orb-pack: {p}", file=sys.stderr)
    if problems:
        sys.exit(1)
    packed = yaml.safe_dump(orb, sort_keys=False, width=120)
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(packed)
    else:
        sys.stdout.write(packed)


if __name__ == "__main__":
    main()

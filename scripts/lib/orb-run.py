#!/usr/bin/env python3
"""Runs a job of a packed orb on this machine the way CircleCI's executor runs its steps, for
the wrappers' end-to-end test (CircleCI has no local runner usable here):
- `<< parameters.x >>` is replaced from the job's or command's parameters (defaults, then given);
- commands expand into their steps, `steps` parameters into the given steps, `when`/`unless`
  blocks by their condition; `checkout` is skipped (the test has no repository to check out);
- each `run` step is `bash -eo pipefail -c <command>` with its `environment`, and BASH_ENV set
  to one file for the whole job, which bash sources at the start of every step (as on CircleCI);
- after a failed step, only steps with `when: always` run; the job fails if any step failed;
- `save_cache` and `restore_cache` keep tarballs in ORB_RUN_CACHE (default ~/.cache/orb-run), as
  CircleCI's cache does: a key is written once (later saves of it are skipped), restore takes
  the newest cache whose key starts with each of `keys` in turn, `{{ arch }}` is the machine's.

usage: orb-run.py ORB.yml JOB PARAMS.json    (PARAMS: the job's parameters, steps included)
Prints each step's name and output; exits 0 if the job succeeded, 1 if it failed.
"""
import json
import os
import shlex
import re
import subprocess
import sys
import tempfile

import yaml

PARAM = re.compile(r"<<\s*parameters\.([A-Za-z0-9_-]+)\s*>>")


def render(node, params):
    if isinstance(node, str):
        whole = PARAM.fullmatch(node.strip())
        if whole:
            return params[whole.group(1)]
        return PARAM.sub(lambda m: str_param(params[m.group(1)]), node)
    if isinstance(node, list):
        return [render(v, params) for v in node]
    if isinstance(node, dict):
        return {k: render(v, params) for k, v in node.items()}
    return node


def str_param(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def bind(spec, given):
    params = {}
    for name, p in (spec.get("parameters") or {}).items():
        if name in given:
            params[name] = given[name]
        elif "default" in p:
            params[name] = p["default"]
        else:
            raise SystemExit(f"orb-run: parameter {name} is required")
    unknown = set(given) - set(params) - {"name"}
    if unknown:
        raise SystemExit(f"orb-run: unknown parameters {sorted(unknown)}")
    return params


def cache_key(template):
    """A cache key: `{{ arch }}` as CircleCI fills it in; other templates are not needed here."""
    key = template.replace("{{ arch }}", "arch1-linux-" + os.uname().machine)
    if "{{" in key:
        raise SystemExit(f"orb-run: unsupported cache key template in {template!r}")
    return key.replace("/", "%2F")


def save_cache(body):
    key = shlex.quote(cache_key(body["key"]))
    paths = " ".join('"${HOME}' + shlex.quote(p[1:]) + '"' if p.startswith("~") else shlex.quote(p) for p in body["paths"])
    return f"""store="${{ORB_RUN_CACHE:-$HOME/.cache/orb-run}}"; mkdir -p "$store"
if [ -e "$store"/{key}.tar ]; then echo "Skipping cache generation, cache already exists for key: "{key}; exit 0; fi
found=(); for p in {paths}; do if [ -e "$p" ]; then found+=("$p"); else echo "Warning: could not find path: $p"; fi; done
if [ "${{#found[@]}}" -eq 0 ]; then echo "No paths to cache"; exit 0; fi
tar -cPf "$store"/{key}.tar "${{found[@]}}" && echo "Stored cache: "{key}"""


def restore_cache(body):
    keys = body.get("keys") or [body["key"]]
    quoted = " ".join(shlex.quote(cache_key(k)) for k in keys)
    return f"""store="${{ORB_RUN_CACHE:-$HOME/.cache/orb-run}}"
for k in {quoted}; do
  hit="$(ls -t "$store"/"$k"*.tar 2>/dev/null | head -n 1 || true)"
  if [ -n "$hit" ]; then tar -xPf "$hit" && echo "Found a cache for key: $k"; exit 0; fi
done
echo "No cache is found for the keys: "{quoted}"""


def expand(steps, orb):
    """Flattens steps into (name, command, environment, when) tuples."""
    out = []
    for step in steps or []:
        if isinstance(step, str):
            name, body = step, {}
        else:
            name, body = next(iter(step.items()))
            body = body or {}
        if name == "checkout":
            continue
        if name == "run":
            if isinstance(body, str):
                body = {"command": body}
            out.append((body.get("name", body["command"].splitlines()[0]), body["command"], body.get("environment") or {}, body.get("when", "on_success")))
        elif name == "steps":
            out.extend(expand(body, orb))
        elif name in ("when", "unless"):
            cond = body.get("condition")
            truthy = bool(cond) and cond not in ("false", "")
            if truthy == (name == "when"):
                out.extend(expand(body.get("steps"), orb))
        elif name == "save_cache":
            out.append(("Saving cache", save_cache(body), {}, body.get("when", "on_success")))
        elif name == "restore_cache":
            out.append(("Restoring cache", restore_cache(body), {}, "on_success"))
        elif name in (orb.get("commands") or {}):
            spec = orb["commands"][name]
            out.extend(expand(render(spec.get("steps"), bind(spec, body)), orb))
        else:
            raise SystemExit(f"orb-run: unsupported step {name}")
    return out


def main():
    orb = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
    job = orb["jobs"][sys.argv[2]]
    given = json.load(open(sys.argv[3], encoding="utf-8"))
    steps = expand(render(job["steps"], bind(job, given)), orb)
    failed = False
    with tempfile.NamedTemporaryFile("w", prefix="bash_env-", delete=False) as f:
        bash_env = f.name
    try:
        for name, command, environment, when in steps:
            if failed and when != "always":
                print(f"### {name}: skipped (an earlier step failed)", flush=True)
                continue
            if not failed and when == "on_fail":
                continue
            env = dict(os.environ)
            env.update({k: str_param(v) for k, v in environment.items()})
            env["BASH_ENV"] = bash_env
            env["CIRCLECI"] = "true"
            print(f"### {name}", flush=True)
            code = subprocess.run(["bash", "-eo", "pipefail", "-c", command], env=env).returncode
            print(f"### {name}: exit {code}", flush=True)
            if code != 0:
                failed = True
    finally:
        os.unlink(bash_env)
    print("### job " + ("failed" if failed else "succeeded"), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

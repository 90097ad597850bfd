#!/usr/bin/env python3
"""Every tgctl command line a CI wrapper can build, checked by the real tgctl's parser.

For each wrapper (the connect and service-key actions, the CircleCI orb's connect and disconnect
commands, the GitLab component's .tgctl-connect job), this takes every combination of its inputs
(each input's values below: its default and the values that take a different path through the
wrapper), lets the wrapper's own code build the command line (the actions' JavaScript under node,
the scripts under sh, with a recorder in place of tgctl), and hands all of them to the built tgctl
in its parse-only mode (TGCTL_CHECK_ARGS=FILE, cli/src/check_args.rs). Any command line tgctl
refuses (an unknown flag, a bad value, a conflict) fails the check, with the inputs that built
it. A combination the wrapper itself refuses before running tgctl must say why.

The inputs are read from the wrappers' own files (action.yml, the orb's commands, the
component's spec), so a new input without values here fails the check instead of going
untested.

usage: argv-check.py TGCTL_BIN [WORK_DIR]
"""
import concurrent.futures
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The values each input takes, in classes: values of one class take the same path through the
# wrapper (they differ only in what is passed on). Every combination of one value of each class
# is built; the other values of a class are each built once more, with every other input at
# its default. An input's default joins the class it belongs to, or is a class of its own.
SAMPLES = {
    "network": [["acme"]],
    "timeout": [["90s", "2m"], [""]],
    "resolve": [["db.internal, web.internal", "db.internal"], [""]],
    "probe": [["db.internal:5432\nweb.internal:443", "db.internal:5432"], [""]],
    "require-private": [["true"], ["false"]],
    "client-version": [["latest"], ["2026.190.6704"], [""]],
    "provider": [["twingate"], ["firezone"], [""]],
    "network-mode": [["auto", "tun", "proxy"], [""]],
    "service-account": [["ci-deployer"], [""]],
    "broker-url": [["https://broker.example.com"], [""]],
    "broker-audience": [["tgctl-broker", "https://broker.example.com"], [""]],
    "install": [["auto", "never"]],
    "docker-dns": [["true"], ["false"]],
}
# Inputs that never reach the connect command line (tgctl's own install, the credential's
# variable names, the rotation template): only their default is used.
NOT_IN_ARGV = {"tgctl-version", "tgctl-releases-url", "releases-url", "version", "cache", "service-key-variable",
               "api-token-variable", "gitlab-token-variable", "rotate-key", "rotate-expires-in-days",
               "service-key", "service-key-file", "api-token", "image", "resource-class", "checkout", "steps",
               "client-cache"}
# Where the credential comes from: a key minted for the job when a service account is named,
# else the key in a secret, or in a file (a file-type variable): decided by the secret's value.
# With a broker URL the job has no secret at all: its OIDC token comes from the CI.
def credentials(service_account, broker_url=""):
    if broker_url:
        return ["broker"]
    return ["mint"] if service_account else ["key", "key-file"]


CANARY_KEY = '{"version":"1","network":"acme.twingate.com","private_key":"CANARY"}'


def norm(name):
    return name.replace("_", "-")


def classes(name, default):
    """The value classes of an input: its default first (as its class's representative)."""
    n = norm(name)
    if n in NOT_IN_ARGV:
        return [[default]]
    if n not in SAMPLES:
        raise SystemExit(f"argv-check: input {name!r} has no sample values: add it to SAMPLES or NOT_IN_ARGV in {__file__}")
    out = [list(c) for c in SAMPLES[n]]
    home = next((c for c in out if default in c), None)
    if home is None:
        out.insert(0, [default])
    else:
        out.remove(home)
        out.insert(0, [default] + [v for v in home if v != default])
    return out


def product(dims):
    """dims: {name: [class, ...]} -> every combination of class representatives, then each other
    value of a class once, the rest at their defaults."""
    names = sorted(dims)
    combos = [dict(zip(names, combo)) for combo in itertools.product(*([c[0] for c in dims[n]] for n in names))]
    defaults = {n: dims[n][0][0] for n in names}
    for n in names:
        for cls in dims[n]:
            for v in cls[1:]:
                combos.append({**defaults, n: v})
    return combos


def fixed(*values):
    """Classes for an input whose values are each their own class."""
    return [[v] for v in values]


# --- GitHub actions -------------------------------------------------------------------------

NODE_DRIVER = r"""
const path = require('node:path');
const root = process.argv[1];
const connect = require(path.join(root, 'actions/connect/main.js'));
const post = require(path.join(root, 'actions/connect/post.js'));
const serviceKey = require(path.join(root, 'actions/service-key/main.js'));
const lines = require('node:fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
for (const line of lines) {
  const { action, inputs, env } = JSON.parse(line);
  const e = { ...env };
  for (const [k, v] of Object.entries(inputs)) e[`INPUT_${k.toUpperCase()}`] = v;
  const out = [];
  try {
    if (action === 'connect') {
      out.push(connect.connectArgs(connect.readInputs(e), '/tmp/tgctl-connect.env'));
      out.push(post.disconnectArgs(e));
    } else {
      out.push(serviceKey.serviceKeyArgs(serviceKey.readInputs(e), '/tmp/key.json'));
    }
    console.log(JSON.stringify({ argvs: out }));
  } catch (err) {
    console.log(JSON.stringify({ refused: String(err.message || err) }));
  }
}
"""


def action_inputs(path):
    doc = yaml.safe_load(open(path, encoding="utf-8"))
    return {name: str(spec.get("default", "")) for name, spec in doc["inputs"].items()}


def action_cases():
    cases = []
    inputs = action_inputs(os.path.join(ROOT, "actions/connect/action.yml"))
    dims = {n: classes(n, d) for n, d in inputs.items()}
    for combo in product(dims):
        for cred in credentials(combo.get("service-account"), combo.get("broker-url")):
            ins = dict(combo)
            env = {"ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example/x"} if cred == "broker" else {}
            if cred == "broker":
                pass
            elif cred == "key":
                ins["service-key"] = CANARY_KEY
            elif cred == "key-file":
                ins["service-key-file"] = "/tmp/key.json"
            else:
                ins["api-token"] = "tgcanary-token"
            cases.append(("actions/connect", {"action": "connect", "inputs": ins, "env": env}, {**ins, "(credential)": cred}))
    sk = action_inputs(os.path.join(ROOT, "actions/service-key/action.yml"))
    sk_dims = {
        "command": fixed("create", "rotate", "revoke"),
        "api-token": fixed("tgcanary-token"),
        "network": fixed("", "acme"),
        "service-account": fixed("", "ci-deployer"),
        "key": fixed("", "U2VydmljZUFjY291bnRLZXk6MQ=="),
        "name": fixed("", "nightly"),
        "expires-in-days": fixed("", "7"),
        "key-file": fixed(""),
        "delete": fixed("false", "true"),
    }
    missing = set(sk) - set(sk_dims) - NOT_IN_ARGV
    if missing:
        raise SystemExit(f"argv-check: service-key inputs without sample values: {sorted(missing)}")
    for combo in product(sk_dims):
        cases.append(("actions/service-key", {"action": "service-key", "inputs": combo, "env": {}}, combo))
    proc = subprocess.run(["node", "-e", NODE_DRIVER, ROOT], input="\n".join(json.dumps(c[1]) for c in cases) + "\n",
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"argv-check: the action driver failed:\n{proc.stderr}")
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(results) == len(cases), (len(results), len(cases))
    return [(c[0], c[2], r.get("argvs"), r.get("refused")) for c, r in zip(cases, results)]


# --- Shell wrappers (orb, GitLab component) ---------------------------------------------------

SH_PRELUDE = r"""
TGCTL_SOURCED_FOR_TESTS=1
tgctl_record() {
  for _a in "$@"; do printf '%s\037' "$_a"; done >>"$REC"
  printf '\036' >>"$REC"
}
"""
PARAM_RE = re.compile(r"<<\s*parameters\.([A-Za-z0-9_-]+)\s*>>")
INPUT_RE = re.compile(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]")


def sh_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"


def shell_cases(label, connect_script, disconnect_script, variables, dims, work):
    """variables: {ENV_NAME: input name}; dims: {input name: [values]}"""
    combos = product(dims)
    rec = os.path.join(work, f"{label.replace('/', '-')}.rec")
    open(rec, "w").close()
    body = [SH_PRELUDE, connect_script, disconnect_script, f"REC={sh_quote(rec)}", "export HOME=" + sh_quote(work)]
    keyfile = os.path.join(work, "key.json")
    with open(keyfile, "w") as f:
        f.write(CANARY_KEY)
    cases = []
    for n, combo in enumerate(combos):
        broker = combo.get("broker-url", combo.get("broker_url", ""))
        for cred in credentials(combo.get("service-account", combo.get("service_account")), broker):
            sets = [f"{env}={sh_quote(combo[inp])}" for env, inp in variables.items()]
            if cred == "broker":
                sets.append("CIRCLE_OIDC_TOKEN_V2=oidc-canary")
            elif cred == "key":
                sets.append(f"TWINGATE_SERVICE_KEY={sh_quote(CANARY_KEY)} FIREZONE_TOKEN={sh_quote(CANARY_KEY)}")
            elif cred == "key-file":
                sets.append(f"TWINGATE_SERVICE_KEY={sh_quote(keyfile)} FIREZONE_TOKEN={sh_quote(keyfile)}")
            else:
                sets.append("TWINGATE_API_TOKEN=tgcanary FIREZONE_API_TOKEN=tgcanary")
            i = len(cases)
            body.append(f"printf '\\035{i}\\035' >>\"$REC\"; ( {' '.join(sets)}; TGCTL=tgctl_record; "
                        f"_e=\"$(tgctl_connect 2>&1 >/dev/null)\"; printf '\\034%s:%s\\034' $? ${{#_e}} >>\"$REC\"; tgctl_disconnect 2>/dev/null )")
            cases.append({**combo, "(credential)": cred})
    script = os.path.join(work, f"{label.replace('/', '-')}.sh")
    with open(script, "w") as f:
        f.write("\n".join(body) + "\n")
    proc = subprocess.run(["sh", script], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"argv-check: {label}: the script driver failed:\n{proc.stderr[-2000:]}")
    out = []
    raw = open(rec, encoding="utf-8").read()
    chunks = raw.split("\035")[1:]
    for idx_s, rest in zip(chunks[0::2], chunks[1::2]):
        i = int(idx_s)
        before, info, after = rest.split("\034")
        code, errlen = (int(x) for x in info.split(":"))
        records = lambda text: [r.split("\037")[:-1] for r in text.split("\036") if r != ""]
        connect_argvs, disconnect_argvs = records(before), records(after)
        if not connect_argvs:
            why = f"exit {code} before running tgctl" if code == 2 and errlen > 0 else ""
            out.append((label, cases[i], None, why))
        else:
            out.append((label, cases[i], connect_argvs + disconnect_argvs, None))
    assert len(out) == len(cases), (label, len(out), len(cases))
    return out


def orb_cases(work):
    src = os.path.join(ROOT, "circleci-orb/src")
    cmd = yaml.safe_load(open(os.path.join(src, "commands/connect.yml"), encoding="utf-8"))
    disc = yaml.safe_load(open(os.path.join(src, "commands/disconnect.yml"), encoding="utf-8"))
    variables = {}
    for step in cmd["steps"] + disc["steps"]:
        run = step.get("run") if isinstance(step, dict) else None
        if not run:
            continue
        for env, value in (run.get("environment") or {}).items():
            m = PARAM_RE.fullmatch(str(value).strip())
            if m:
                variables[env] = m.group(1)
    params = {**{k: v for k, v in disc["parameters"].items()}, **cmd["parameters"]}
    dims = {}
    for name in set(variables.values()):
        spec = params[name]
        default = spec.get("default", "")
        default = ("true" if default else "false") if spec.get("type") == "boolean" else str(default)
        dims[name] = classes(name, default)
        if spec.get("type") == "enum":
            dims[name] = [[str(v) for v in spec["enum"]]]
    connect_sh = open(os.path.join(src, "scripts/connect.sh"), encoding="utf-8").read()
    disconnect_sh = open(os.path.join(src, "scripts/disconnect.sh"), encoding="utf-8").read()
    return shell_cases("circleci-orb", connect_sh, disconnect_sh, variables, dims, work)


class RefLoader(yaml.SafeLoader):
    pass


RefLoader.add_constructor("!reference", lambda loader, node: loader.construct_sequence(node))


def gitlab_cases(work):
    docs = list(yaml.load_all(open(os.path.join(ROOT, "gitlab/templates/connect.yml"), encoding="utf-8"), Loader=RefLoader))
    spec, jobs = docs[0]["spec"]["inputs"], docs[1]
    job = jobs[".tgctl-connect"]
    variables = {}
    for env, value in job["variables"].items():
        m = INPUT_RE.fullmatch(str(value).strip())
        if m:
            variables[env] = m.group(1)
    dims = {}
    for name in set(variables.values()):
        s = spec[name]
        default = s.get("default", "")
        if s.get("type") == "boolean":
            default = "true" if default else "false"
        dims[name] = classes(name, str(default))
    connect_sh = jobs[".tgctl-connect-script"]["script"][0]
    disconnect_sh = jobs[".tgctl-disconnect-script"]["script"][0]
    return shell_cases("gitlab/connect", connect_sh, disconnect_sh, variables, dims, work)


def main():
    tgctl = sys.argv[1]
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="argv-check-")
    os.makedirs(work, exist_ok=True)
    # The two shell drivers run side by side (one process each).
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        orb = pool.submit(orb_cases, work)
        gitlab = pool.submit(gitlab_cases, work)
        results = action_cases() + orb.result() + gitlab.result()
    argv_file = os.path.join(work, "argv.jsonl")
    index = []
    with open(argv_file, "w", encoding="utf-8") as f:
        seen = {}
        for r, (label, inputs, argvs, refused) in enumerate(results):
            for argv in argvs or []:
                key = json.dumps(argv)
                if key not in seen:
                    seen[key] = len(index)
                    index.append((argv, []))
                    f.write(key + "\n")
                index[seen[key]][1].append(r)
    env = {**os.environ, "TGCTL_CHECK_ARGS": argv_file}
    proc = subprocess.run([tgctl], capture_output=True, text=True, env=env, check=False)
    verdicts = proc.stdout.splitlines()
    if len(verdicts) != len(index):
        raise SystemExit(f"argv-check: tgctl answered {len(verdicts)} lines for {len(index)} command lines:\n{proc.stderr}")
    failed = 0
    for (argv, users), verdict in zip(index, verdicts):
        if verdict != "ok":
            failed += 1
            if failed <= 10:
                label, inputs, _, _ = results[users[0]]
                print(f"REFUSED by tgctl: {verdict}\n  argv:   tgctl {' '.join(argv)}\n  from:   {label} with {json.dumps(inputs)}"
                      f"\n  ({len(users)} input combinations build this command line)")
    silent = [r for r in results if r[3] is not None and not r[3].strip()]
    for label, inputs, _, _ in silent[:5]:
        print(f"REFUSED by the wrapper without a reason: {label} with {json.dumps(inputs)}")
    per = {}
    for label, _, argvs, refused in results:
        p = per.setdefault(label, [0, 0])
        p[0 if argvs else 1] += 1
    for label, (built, refused) in sorted(per.items()):
        print(f"{label}: {built + refused} input combinations, {built} built command lines, {refused} refused by the wrapper")
    print(f"tgctl's parser: {len(index)} distinct command lines, {len(index) - failed} accepted, {failed} refused")
    return 1 if failed or silent else 0


if __name__ == "__main__":
    sys.exit(main())

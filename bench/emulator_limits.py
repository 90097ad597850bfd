#!/usr/bin/env python3
"""How fast does the emulator refuse an abusive document, and how big is the answer?

Issue 15 measured 3,000 aliased introspection fields at 7.9 s, a 61 MB answer and a 2.6 GB peak.
This starts `tgctl-emulator serve` (release build unless EMULATOR_BIN says otherwise), sends the
same document RUNS times and prints the median, min and max round trip (client side, loopback),
the HTTP status and the answer's size, plus the same figures for a fragment "bomb" (2^40 fields
if expanded) and for graphql-core's standard introspection query (which must pass).

Usage: bench/emulator_limits.py [RUNS]   (default 20; needs `cargo build --release -p tgctl-emulator`)
"""

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.environ.get("EMULATOR_BIN", os.path.join(TARGET, "release", "tgctl-emulator"))

INTROSPECTION = """query IntrospectionQuery { __schema { queryType { name } mutationType { name }
  subscriptionType { name } types { ...FullType } directives { name description locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description
  args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason } inputFields { ...InputValue }
  interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }"""


def aliases(n):
    return "{ " + " ".join(f"a{i}: __schema {{ types {{ name fields {{ name }} }} }}" for i in range(n)) + " }"


def fragment_bomb(levels):
    doc = "{ ...F0 }\n"
    for i in range(levels):
        doc += f"fragment F{i} on QueriesRoot {{ ...F{i + 1} ...F{i + 1} }}\n"
    return doc + f"fragment F{levels} on QueriesRoot {{ groups {{ totalCount }} }}"


def post(url, token, query):
    body = json.dumps({"query": query}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json", "X-API-KEY": token})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req) as resp:
            data, status = resp.read(), resp.status
    except urllib.error.HTTPError as e:
        data, status = e.read(), e.code
    return (time.perf_counter() - start) * 1000, status, data


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    proc = subprocess.Popen(
        [BIN, "serve", "--quiet", "--seed", "demo", "--reads-per-minute", "0", "--writes-per-minute", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        env = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(4))
        url, token = env["TGCTL_API_URL"], env["TWINGATE_API_TOKEN"]
        cases = [
            ("3,000 aliased __schema fields", aliases(3000)),
            ("fragment bomb (2^40 fields)", fragment_bomb(40)),
            ("standard introspection query", INTROSPECTION),
        ]
        for name, doc in cases:
            times, status, size, first = [], None, 0, ""
            for _ in range(runs):
                ms, status, data = post(url, token, doc)
                times.append(ms)
                size = len(data)
                first = json.loads(data).get("errors", [{}])[0].get("message", "ok")
            print(
                f"{name:32} HTTP {status}  {size:>8} bytes  median {statistics.median(times):7.2f} ms"
                f"  min {min(times):7.2f}  max {max(times):7.2f}  ({len(doc)} bytes sent)  {first}"
            )
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Pacer efficiency: N writes, each a separate `tgctl` process, against the emulator limited to
W writes a minute. The target: done within 1.1 x N/W minutes with zero 429 responses.

Usage: bench/pacer.py [--writes 40] [--per-minute 20]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request


def start_emulator(binary, per_minute):
    proc = subprocess.Popen(
        [binary, "serve", "--port", "0", "--seed", "empty", "--writes-per-minute", str(per_minute), "--reads-per-minute", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    env = {}
    while "TGCTL_EMULATOR_URL" not in env:
        line = proc.stdout.readline()
        if not line:
            sys.exit("the emulator exited before printing its URL")
        if "=" in line:
            k, v = line.strip().split("=", 1)
            env[k] = v
    return proc, env


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--writes", type=int, default=40)
    p.add_argument("--per-minute", type=int, default=20)
    a = p.parse_args()
    subprocess.run(["cargo", "build", "--release", "-p", "tgctl", "-p", "tgctl-emulator"], check=True)
    proc, emu = start_emulator("target/release/tgctl-emulator", a.per_minute)
    try:
        state = tempfile.mkdtemp()
        env = dict(os.environ, TGCTL_API_URL=emu["TGCTL_API_URL"], TWINGATE_API_TOKEN=emu["TWINGATE_API_TOKEN"],
                   TGCTL_STATE_DIR=state, TGCTL_CONFIG_DIR=state, TGCTL_WRITES_PER_MINUTE=str(a.per_minute), NO_COLOR="1")
        start = time.monotonic()
        for i in range(a.writes):
            subprocess.run(["target/release/tgctl", "service-account", "create", f"bench-{i}", "-o", "id", "-q"],
                           env=env, check=True, stdout=subprocess.DEVNULL)
        elapsed = time.monotonic() - start
        stats = json.load(urllib.request.urlopen(emu["TGCTL_EMULATOR_URL"] + "/_emulator/stats"))
        ideal = a.writes / a.per_minute * 60
        print(json.dumps({
            "writes": a.writes, "perMinute": a.per_minute, "elapsedSeconds": round(elapsed, 1),
            "nOverWSeconds": ideal, "ratio": round(elapsed / ideal, 3),
            "rateLimited429": stats.get("rateLimited"), "applied": sum(stats.get("applied", {}).values()),
        }))
    finally:
        proc.terminate()


if __name__ == "__main__":
    main()

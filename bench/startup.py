#!/usr/bin/env python3
"""Start-up time and peak memory of `tgctl --version` (and of a failing API command).

Usage: bench/startup.py [--runs N] [--bin target/release/tgctl]
Reports the median and p90 wall time over N runs and the peak RSS (max over runs).
"""
import argparse
import os
import resource
import statistics
import subprocess
import time


def measure(argv, runs, env=None):
    times, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os.execve(argv[0], argv, env or os.environ)
        _, _, usage = os.wait4(pid, 0)
        times.append((time.perf_counter() - start) * 1000)
        peaks.append(usage.ru_maxrss)  # KiB on Linux
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 2),
        "p90_ms": round(times[int(len(times) * 0.9) - 1], 2),
        "min_ms": round(times[0], 2),
        "peak_rss_kib": max(peaks),
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--bin", default="target/release/tgctl")
    a = p.parse_args()
    if not os.path.exists(a.bin):
        subprocess.run(["cargo", "build", "--release", "-p", "tgctl"], check=True)
    print(f"tgctl --version x{a.runs}:", measure([a.bin, "--version"], a.runs))
    env = dict(os.environ, TGCTL_API_URL="http://127.0.0.1:9/api/graphql/", TWINGATE_API_TOKEN="x",
               TGCTL_RETRY_BUDGET="0", TGCTL_CONFIG_DIR="/tmp/tgctl-bench-config", TGCTL_STATE_DIR="/tmp/tgctl-bench-state")
    print(f"tgctl service-account list (connection refused) x{a.runs}:",
          measure([a.bin, "service-account", "list"], a.runs, env))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Throughput and added latency of a TCP path, against a direct connection.

Run by bench/forward_throughput.sh, which starts the paths; usable alone:

    forward_bench.py ECHO_PORT NAME=PORT [NAME=PROXY_PORT@HOST:PORT ...] [--mb 256] [--rounds 5000]

Each path is a 127.0.0.1 port that ends at the same echo server (ECHO_PORT, also measured as
"direct"); PROXY_PORT@HOST:PORT opens the connection with a CONNECT to HOST:PORT through the
HTTP proxy on PROXY_PORT (the handshake is not timed). For each path:
  throughput  MB of payload per second, one way: --mb MB are written while the echo comes back
              on the same connection (so both directions carry the payload), then half-close;
              the time ends when the last echoed byte arrives. Best of 3.
  latency     round trip of a 64-byte message on one connection (TCP_NODELAY), --rounds times
              after 200 warm-up rounds: median and p99 in microseconds.
Prints a table, and the figures as JSON on the last line.
"""

import json
import socket
import statistics
import sys
import threading
import time

CHUNK = 256 * 1024


def open_path(path):
    """A connected socket for a path: a port, or (proxy port, CONNECT target)."""
    port, target = path
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if target:
        s.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            b = s.recv(1)
            if not b:
                raise SystemExit(f"the proxy on {port} closed the connection")
            head += b
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            raise SystemExit(f"the proxy on {port} answered {head!r}")
    return s


def throughput(path, mb):
    total = mb * 1024 * 1024
    block = bytes(range(256)) * (CHUNK // 256)
    s = open_path(path)
    received = 0

    def writer():
        sent = 0
        view = memoryview(block)
        while sent < total:
            n = min(CHUNK, total - sent)
            s.sendall(view[:n])
            sent += n
        s.shutdown(socket.SHUT_WR)

    start = time.perf_counter()
    t = threading.Thread(target=writer)
    t.start()
    buf = bytearray(CHUNK)
    while True:
        n = s.recv_into(buf)
        if n == 0:
            break
        received += n
    elapsed = time.perf_counter() - start
    t.join()
    s.close()
    if received != total:
        raise SystemExit(f"{path}: sent {total} bytes, got {received} back")
    return total / elapsed / 1e6


def latency(path, rounds):
    s = open_path(path)
    msg = b"x" * 64
    samples = []
    for i in range(rounds + 200):
        t0 = time.perf_counter_ns()
        s.sendall(msg)
        got = 0
        while got < len(msg):
            chunk = s.recv(64 - got)
            if not chunk:
                raise SystemExit(f"{path}: closed during the latency test")
            got += len(chunk)
        if i >= 200:
            samples.append((time.perf_counter_ns() - t0) / 1000)
    s.close()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main(argv):
    mb, rounds = 256, 5000
    args = []
    it = iter(argv)
    for a in it:
        if a == "--mb":
            mb = int(next(it))
        elif a == "--rounds":
            rounds = int(next(it))
        else:
            args.append(a)
    echo = int(args[0])
    paths = [("direct", (echo, None))]
    for spec in args[1:]:
        name, rest = spec.split("=", 1)
        port, _, target = rest.partition("@")
        paths.append((name, (int(port), target or None)))
    results = {}
    for name, path in paths:
        tp = max(throughput(path, mb) for _ in range(3))
        med, p99 = latency(path, rounds)
        results[name] = {"throughputMBps": round(tp, 1), "rttMedianUs": round(med, 1), "rttP99Us": round(p99, 1)}
    base = results["direct"]
    print(f"{'path':<22}{'MB/s':>10}{'rtt median':>14}{'rtt p99':>12}{'added median':>15}{'added p99':>12}")
    for name, r in results.items():
        r["addedMedianUs"] = round(r["rttMedianUs"] - base["rttMedianUs"], 1)
        r["addedP99Us"] = round(r["rttP99Us"] - base["rttP99Us"], 1)
        print(
            f"{name:<22}{r['throughputMBps']:>10.1f}{r['rttMedianUs']:>12.1f}us{r['rttP99Us']:>10.1f}us"
            f"{r['addedMedianUs']:>13.1f}us{r['addedP99Us']:>10.1f}us"
        )
    print(json.dumps({"mb": mb, "rounds": rounds, "paths": results}))


if __name__ == "__main__":
    main(sys.argv[1:])

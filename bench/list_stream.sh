#!/usr/bin/env bash
# Streaming benchmark of `tgctl <noun> list` against a local mock Admin API.
#
# The mock serves N remote networks (default 1,000 and 10,000), 100 per page, waiting
# PAGE_DELAY_MS (default 20) before each answer, as a real API would. For each size and output
# format it reports:
#   - time to first row (first line on tgctl's stdout)
#   - when the last page was requested (the first row must come before it: streaming)
#   - total time
#   - peak RSS of tgctl (GNU time's %M, else /proc/<pid>/status VmHWM)
# and fails if the first row did not arrive before the last page was requested, or if peak RSS
# at the largest size exceeds the smallest by more than RSS_SLACK_KB (default 4096: flat memory).
#
# Usage: bench/list_stream.sh [SIZE...]
#   TGCTL_BIN=path/to/tgctl (default: target/release/tgctl, else target/debug/tgctl under
#   CARGO_TARGET_DIR or ./target), PAGE_DELAY_MS, FORMATS (default "ndjson json table"),
#   RSS_SLACK_KB. Client-side pacing is turned off (TGCTL_READS_PER_MINUTE=0): with the default
#   60 reads a minute, 10,000 objects (100 requests) take about 100 s by design.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$here/target}
bin=${TGCTL_BIN:-}
if [[ -z "$bin" ]]; then
  for candidate in "$target/release/tgctl" "$target/debug/tgctl"; do
    if [[ -x "$candidate" ]]; then bin=$candidate; break; fi
  done
fi
if [[ -z "$bin" || ! -x "$bin" ]]; then
  echo "no tgctl binary: build one (cargo build --release -p tgctl) or set TGCTL_BIN" >&2
  exit 2
fi
sizes=("$@")
if [[ ${#sizes[@]} -eq 0 ]]; then sizes=(1000 10000); fi

exec python3 - "$bin" "${PAGE_DELAY_MS:-20}" "${FORMATS:-ndjson json table}" "${RSS_SLACK_KB:-4096}" "${sizes[@]}" <<'PY'
import base64, json, os, shutil, subprocess, sys, tempfile, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

binary, delay_ms, formats, slack_kb = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), int(sys.argv[4])
sizes = [int(s) for s in sys.argv[5:]]
T0 = "2026-01-01T00:00:00.000000+00:00"

class State:
    total = 0
    page_times = []   # monotonic time of each page request
    lock = threading.Lock()

def node(i):
    return {
        "id": base64.b64encode(f"RemoteNetwork:{i}".encode()).decode(),
        "name": f"network-{i:06d}", "isActive": True, "location": "AWS", "networkType": "REGULAR",
        "createdAt": T0, "updatedAt": T0,
        "connectors": {"totalCount": 2}, "resources": {"totalCount": 5},
    }

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stalls
    def log_message(self, *args):
        pass
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        v = body.get("variables") or {}
        with State.lock:
            State.page_times.append(time.monotonic())
        start = int(v.get("after") or -1) + 1
        end = min(start + int(v.get("first") or 50), State.total)
        time.sleep(delay_ms / 1000)
        data = {"remoteNetworks": {
            "pageInfo": {"endCursor": str(end - 1), "hasNextPage": end < State.total},
            "totalCount": State.total,
            "edges": [{"cursor": str(i), "node": node(i)} for i in range(start, end)],
        }}
        out = json.dumps({"data": data}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_address[1]}/api/graphql/"
gnu_time = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None
work = tempfile.mkdtemp(prefix="tgctl-bench-")
env = {
    "PATH": os.environ.get("PATH", ""), "HOME": work, "TGCTL_API_URL": url, "TWINGATE_API_TOKEN": "bench-token",
    "TGCTL_CONFIG_DIR": work, "TGCTL_STATE_DIR": work, "TGCTL_NO_KEYRING": "1",
    "TGCTL_READS_PER_MINUTE": "0", "TGCTL_WRITES_PER_MINUTE": "0", "NO_COLOR": "1",
}

def run(n, fmt):
    State.total, State.page_times = n, []
    rss_file = os.path.join(work, "rss")
    cmd = [binary, "remote-network", "list", "-o", fmt]
    if gnu_time:
        cmd = [gnu_time, "-f", "%M", "-o", rss_file] + cmd
    started = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    first_row, lines = None, 0
    for line in p.stdout:
        if first_row is None:
            first_row = time.monotonic()
        lines += 1
    err = p.stderr.read().decode()
    code = p.wait()
    total = time.monotonic() - started
    if code != 0:
        sys.exit(f"tgctl failed ({code}): {err}")
    rss = int(open(rss_file).read().strip().splitlines()[-1]) if gnu_time else 0
    expected = n + (2 if fmt == "json" else 0)
    if lines != expected:
        sys.exit(f"{fmt}: expected {expected} lines, got {lines}")
    last_page = State.page_times[-1]
    return {
        "n": n, "format": fmt, "pages": len(State.page_times),
        "first_row_ms": (first_row - started) * 1000,
        "last_page_requested_ms": (last_page - started) * 1000,
        "total_ms": total * 1000, "peak_rss_kb": rss,
        "streamed": first_row < last_page,
    }

results = []
print(f"tgctl: {binary}")
print(f"mock: 100 per page, {delay_ms} ms per page; pacing off; peak RSS from {'GNU time %M' if gnu_time else 'n/a'}")
print(f"{'objects':>8} {'format':>7} {'pages':>5} {'first row':>10} {'last page req':>14} {'total':>9} {'peak RSS':>10}  streamed")
for n in sizes:
    for fmt in formats:
        run(min(n, 200), fmt)  # warm-up (page cache, first exec)
        r = run(n, fmt)
        results.append(r)
        print(f"{r['n']:>8} {r['format']:>7} {r['pages']:>5} {r['first_row_ms']:>8.0f}ms {r['last_page_requested_ms']:>12.0f}ms "
              f"{r['total_ms']:>7.0f}ms {r['peak_rss_kb']/1024:>8.1f}MB  {'yes' if r['streamed'] else 'NO'}")
server.shutdown()
shutil.rmtree(work, ignore_errors=True)

failed = [r for r in results if not r["streamed"]]
if failed:
    sys.exit(f"not streaming: the first row came after the last page was requested: {failed}")
for fmt in formats:
    rss = [r["peak_rss_kb"] for r in results if r["format"] == fmt]
    if gnu_time and len(rss) > 1 and max(rss) - min(rss) > slack_kb:
        sys.exit(f"{fmt}: peak RSS grew from {min(rss)} KB to {max(rss)} KB (> {slack_kb} KB): memory is not flat")
print("ok: rows stream before the last page is fetched, and peak RSS stays flat")
PY

#!/usr/bin/env bash
# Port-forward throughput (MB/s) and added latency (round trip of small messages, median and
# p99) on loopback, against a direct connection to the same echo server. Paths:
#   direct             the echo server itself
#   forward-direct     `tgctl forward --direct` (tgctl's relay alone: TUN mode's forward)
#   forward-via-proxy  `tgctl connect --network-mode proxy --forward ...`: tgctl's relay, then a
#                      CONNECT tunnel through the simulated twingated's HTTP proxy
#   proxy-only         a CONNECT tunnel through the simulated proxy, without tgctl (so the
#                      relay's share of forward-via-proxy can be told apart)
# The simulated proxy is a thread-per-connection std::io relay, not Twingate's; its figures
# bound what is measured here, not what a real client does.
#
# Usage: bench/forward_throughput.sh [MB] [ROUNDS]   (defaults 256, 5000)
# Env:   PROFILE (release, the default, or debug; built if missing), TGCTL_BIN, SIM_BIN,
#        CARGO_TARGET_DIR
set -euo pipefail
cd "$(dirname "$0")/.."

mb=${1:-256}
rounds=${2:-5000}
profile=${PROFILE:-release}
target=${CARGO_TARGET_DIR:-$PWD/target}
tgctl=${TGCTL_BIN:-$target/$profile/tgctl}
sim=${SIM_BIN:-$target/$profile/twingate-sim}
if [[ ! -x $tgctl || ! -x $sim ]]; then
  flag=()
  [[ $profile == release ]] && flag=(--release)
  cargo build "${flag[@]}" -p tgctl -p tgctl-sim --bins >&2
fi

work=$(mktemp -d)
pids=()
cleanup() {
  if [[ -f $work/state/connect.json ]]; then with_env "$tgctl" -q disconnect >/dev/null 2>&1 || true; fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/root/dev/net" "$work/root/proc/self" "$work/root/var/log" "$work/sim" "$work/bin" "$work/state"
printf 'CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\n' >"$work/root/proc/self/status"
ln -s "$sim" "$work/bin/twingate"
ln -s "$sim" "$work/bin/twingated"
cat >"$work/key.json" <<JSON
{"version":"1","network":"bench.twingate.com","service_account_id":"sa","key_id":"bench-key","expires_at":null,"login_path":"/api/v4/headless/login","private_key":"-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBENCHBENCHBENCH\n-----END PRIVATE KEY-----\n"}
JSON
chmod 600 "$work/key.json"

envs=(PATH="$work/bin:$PATH" TGCTL_SYSROOT="$work/root" TGCTL_STATE_DIR="$work/state"
  TWINGATE_SIM_DIR="$work/sim" TWINGATE_SIM_LOG="$work/sim/twingated.log"
  TWINGATE_SIM_SCENARIO="online-after=10" TWINGATE_SIM_MAX_LIFETIME=3600)
# `env` execs the command, so $! of `with_env ... &` is the command itself.
with_env() { env "${envs[@]}" "$@"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 200); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),timeout=1)" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "port $1 never opened" >&2
  return 1
}

# The echo server: a thread per connection, EOF answered with EOF.
echo_port=$(free_port)
python3 - "$echo_port" <<'PY' &
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(128)
def serve(c):
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = bytearray(256 * 1024)
    while True:
        n = c.recv_into(buf)
        if not n: break
        c.sendall(memoryview(buf)[:n])
    c.shutdown(socket.SHUT_WR); c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
pids+=($!)
wait_port "$echo_port"

# tgctl forward --direct
fd_port=$(free_port)
env "${envs[@]}" "$tgctl" -q forward --direct "$fd_port" "127.0.0.1:$echo_port" &
pids+=($!)
wait_port "$fd_port"

# connect in proxy mode (auto: this fake machine has no TUN) with a forward
fp_port=$(free_port)
with_env "$tgctl" -q connect --wait --service-key-file "$work/key.json" --probe "127.0.0.1:$echo_port" \
  --forward "$fp_port:127.0.0.1:$echo_port" >/dev/null
proxy=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["proxy"])' "$work/state/connect.json")

proxy_port=${proxy##*:}

echo "profile: $profile, $(nproc) CPUs, payload ${mb} MB, ${rounds} round trips of 64 bytes" >&2
python3 bench/forward_bench.py "$echo_port" "forward-direct=$fd_port" "forward-via-proxy=$fp_port" \
  "proxy-only=$proxy_port@127.0.0.1:$echo_port" --mb "$mb" --rounds "$rounds"

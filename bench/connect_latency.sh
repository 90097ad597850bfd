#!/usr/bin/env bash
# How long after the client comes online does `tgctl connect --wait` return?
#
# The simulated client (twingate-sim) comes online 1 s after `start` and records the moment
# (epoch ms) in its `events` file. For each run we take the time the waiter returns minus that
# moment, for:
#   tgctl  - `tgctl connect --wait` (fast polls + polls triggered by the client's log)
#   polls  - the same with the client's log out of tgctl's sight (fast polls alone)
#   naive  - what the official GitHub Action does: `start`, sleep 5 s, check `status` once
# and print the median, min and max of each, and the ratio of the medians.
#   cpu    - the CPU tgctl spends waiting (its own and its `twingate status` children's, user +
#            system) over the wall time of a connect whose client comes online after
#            CPU_ONLINE_AFTER_MS (default 10000): target under 5 % of one core.
#
# Firezone: the simulated headless client (firezone-sim) sends READY=1 to tgctl's notify
# socket 1 s after it starts, recording the moment just before it sends. We take the time
# `tgctl connect --provider firezone --wait` returns minus that moment:
#   fz     - `tgctl connect --provider firezone --wait` (target: median under 20 ms)
#
# Usage: bench/connect_latency.sh [RUNS]   (default 10; needs `cargo build --workspace --bins`)
# Env:   TGCTL_BIN, SIM_BIN, FZ_SIM_BIN (default: $CARGO_TARGET_DIR or ./target, debug build)
#        ONLINE_AFTER_MS (default 1000), NAIVE_SLEEP (default 5)
#        ONLY=twingate|firezone to run one provider's cases
set -euo pipefail

runs=${1:-10}
target=${CARGO_TARGET_DIR:-$(cd "$(dirname "$0")/.." && pwd)/target}
tgctl=${TGCTL_BIN:-$target/debug/tgctl}
sim=${SIM_BIN:-$target/debug/twingate-sim}
fzsim=${FZ_SIM_BIN:-$target/debug/firezone-sim}
only=${ONLY:-}
online_after=${ONLINE_AFTER_MS:-1000}
naive_sleep=${NAIVE_SLEEP:-5}
for b in "$tgctl" "$sim" "$fzsim"; do
  [[ -x $b ]] || { echo "missing $b: run cargo build --workspace --bins" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now_ms() { date +%s%3N; }

# A fresh fake machine and simulated client for one run; sets $dir.
fresh() {
  dir=$(mktemp -d "$work/run.XXXX")
  mkdir -p "$dir/root/dev/net" "$dir/root/proc/self" "$dir/root/var/log" "$dir/sim" "$dir/bin" "$dir/state"
  : >"$dir/root/dev/net/tun"
  printf 'CapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n' >"$dir/root/proc/self/status"
  ln -s "$sim" "$dir/bin/twingate"
  cat >"$dir/key.json" <<JSON
{"version":"1","network":"bench.twingate.com","service_account_id":"sa","key_id":"bench-key","expires_at":null,"login_path":"/api/v4/headless/login","private_key":"-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBENCHBENCHBENCH\n-----END PRIVATE KEY-----\n"}
JSON
  chmod 600 "$dir/key.json"
}

sim_log() { if [[ ${hide_log:-0} == 1 ]]; then echo "$dir/sim/hidden.log"; else echo "$dir/root/var/log/twingated.log"; fi; }

with_env() {
  env PATH="$dir/bin:$PATH" TGCTL_SYSROOT="$dir/root" TGCTL_STATE_DIR="$dir/state" \
    TWINGATE_SIM_DIR="$dir/sim" TWINGATE_SIM_LOG="$(sim_log)" \
    TWINGATE_SIM_SCENARIO="online-after=$online_after" TWINGATE_SIM_MAX_LIFETIME=60 "$@"
}

online_at() { awk '/^online /{print $2; exit}' "$dir/sim/events"; }

run_tgctl() {
  fresh
  with_env "$tgctl" -q connect --wait --service-key-file "$dir/key.json" --timeout 30 >/dev/null
  local done; done=$(now_ms)
  echo $((done - $(online_at)))
  with_env "$tgctl" -q disconnect >/dev/null
}

run_naive() {
  fresh
  with_env twingate setup --headless - <"$dir/key.json" >/dev/null
  with_env twingate start >/dev/null
  sleep "$naive_sleep"
  [[ $(with_env twingate status) == online ]] || { echo "naive: not online" >&2; exit 1; }
  local done; done=$(now_ms)
  echo $((done - $(online_at)))
  with_env twingate stop >/dev/null
}

stats() { # name values... -> "median min max"
  local name=$1; shift
  printf '%s\n' "$@" | sort -n | awk -v name="$name" '{a[NR]=$1} END {
    m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2
    printf "%-6s median %7.1f ms   min %6d ms   max %6d ms   (n=%d)\n", name, m, a[1], a[NR], NR
    print m > "/dev/stderr" }'
}

# Firezone: a fresh fake machine, READY=1 after $online_after ms; prints ms from READY=1 to return.
run_fz() {
  fresh
  mkdir -p "$dir/fz"
  local run=(env TGCTL_SYSROOT="$dir/root" TGCTL_STATE_DIR="$dir/state" TGCTL_FIREZONE_BIN="$fzsim"
    FIREZONE_SIM_DIR="$dir/fz" FIREZONE_SIM_SCENARIO="ready-after=$online_after" FIREZONE_SIM_MAX_LIFETIME=60
    FIREZONE_TOKEN=bench-token TGCTL_PROVIDER=firezone)
  "${run[@]}" "$tgctl" -q connect --wait --timeout 30 >/dev/null
  local done; done=$(now_ms)
  echo $((done - $(awk '/^ready /{print $2; exit}' "$dir/fz/events")))
  "${run[@]}" "$tgctl" -q disconnect >/dev/null
}

if [[ $only == firezone ]]; then
  echo "firezone client ready ${online_after} ms after start; $runs runs" >&2
  f=()
  for ((i = 0; i < runs; i++)); do f+=("$(run_fz)"); done
  echo "tgctl connect --provider firezone --wait, ms after READY=1: ${f[*]}"
  { stats fz "${f[@]}"; } 2>/dev/null
  exit 0
fi

echo "client online ${online_after} ms after start; $runs runs each" >&2
t=(); p=(); n=()
for ((i = 0; i < runs; i++)); do t+=("$(run_tgctl)"); done
for ((i = 0; i < runs; i++)); do p+=("$(hide_log=1 run_tgctl)"); done
for ((i = 0; i < runs; i++)); do n+=("$(run_naive)"); done
echo "tgctl connect --wait, ms after online: ${t[*]}"
echo "tgctl, polls only (log hidden), ms after online: ${p[*]}"
echo "naive sleep ${naive_sleep}s + status, ms after online: ${n[*]}"
{ stats tgctl "${t[@]}"; } 2>"$work/mt"
{ stats polls "${p[@]}"; } 2>/dev/null
{ stats naive "${n[@]}"; } 2>"$work/mn"
awk -v t="$(cat "$work/mt")" -v n="$(cat "$work/mn")" 'BEGIN { printf "ratio  naive/tgctl = %.0fx\n", n / (t > 0 ? t : 1) }'
# CPU while waiting: bash's `time` counts the children tgctl reaped (its status calls) too.
cpu_run() {
  fresh
  local TIMEFORMAT='%U %S %R' t
  t=$( { time with_env env TWINGATE_SIM_SCENARIO="online-after=${CPU_ONLINE_AFTER_MS:-10000}" \
    "$tgctl" -q connect --wait --service-key-file "$dir/key.json" --timeout 60 >/dev/null; } 2>&1)
  with_env "$tgctl" -q disconnect >/dev/null
  awk -v t="$t" 'BEGIN { split(t, a, " "); printf "cpu    %.2f s user + %.2f s sys over %.1f s waiting = %.1f %% of one core\n", a[1], a[2], a[3], 100 * (a[1] + a[2]) / a[3] }'
}
cpu_run

if [[ $only != twingate ]]; then
  f=()
  for ((i = 0; i < runs; i++)); do f+=("$(run_fz)"); done
  echo "tgctl connect --provider firezone --wait, ms after READY=1: ${f[*]}"
  { stats fz "${f[@]}"; } 2>/dev/null
fi

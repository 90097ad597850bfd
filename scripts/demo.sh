#!/usr/bin/env bash
# The README's first command: the main job end to end against the bundled emulator, with
# nothing but the Rust toolchain. It starts a local Admin API, then walks through what a CI
# pipeline does with tgctl, printing each command before its output.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "Building tgctl and the emulator (first time: a few minutes)..."
cargo build --workspace --bins --quiet
bin="$PWD/target/debug"
export PATH="$bin:$PATH"

work="$(mktemp -d)"
emulator_pid=""
cleanup() {
  if [ "${TGCTL_STATE_DIR:-}" = "$work/state" ]; then tgctl disconnect >/dev/null 2>&1 || true; fi
  if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

tgctl-emulator serve --port 0 --seed demo --quiet >"$work/emulator.env" 2>"$work/emulator.log" &
emulator_pid=$!
for _ in $(seq 1 100); do
  grep -q '^TGCTL_EMULATOR_URL=' "$work/emulator.env" 2>/dev/null && break
  sleep 0.1
done
grep -q '^TGCTL_EMULATOR_URL=' "$work/emulator.env" || { cat "$work/emulator.log" >&2; echo "the emulator did not start" >&2; exit 1; }
set -a
# shellcheck disable=SC1091
. "$work/emulator.env"
set +a
export TGCTL_CONFIG_DIR="$work/config" TGCTL_STATE_DIR="$work/state" TGCTL_NO_KEYRING=1

echo
echo "A local Twingate Admin API is running at $TGCTL_API_URL (network \"$TWINGATE_NETWORK\")."
echo "A simulated Twingate client (twingate-sim) stands in for the real one: it logs in to the"
echo "emulator with the service key and is online only while that key is valid."

# The simulated client, found on PATH as `twingate` (and its daemon as `twingated`), in emulator
# mode. The demo uses proxy mode: the client's userspace HTTP proxy needs no root and no TUN
# device, so it runs the same on a laptop and on any CI runner (`--network-mode auto`, the
# default, picks TUN where the machine allows it).
mkdir -p "$work/bin"
ln -s "$bin/twingate-sim" "$work/bin/twingate"
ln -s "$bin/twingate-sim" "$work/bin/twingated"
export PATH="$work/bin:$PATH" TWINGATE_SIM_DIR="$work/sim" TWINGATE_SIM_API_URL="$TGCTL_EMULATOR_URL"
# The emulator listens on 127.0.0.1, the address of the seeded resource demo-web: the probe
# below proves a TCP connection to it works.
port="${TGCTL_EMULATOR_URL##*:}"

step() {
  printf '\n\033[1m$ %s\033[0m\n' "$*"
  "$@"
}

step tgctl auth status
step tgctl service-account create ci-demo --resource demo-web
step tgctl service-account get ci-demo
step tgctl connect --wait --network-mode proxy --mint --service-account ci-demo --timeout 30s --probe "127.0.0.1:$port"
step tgctl status
step tgctl service-key list --service-account ci-demo
step tgctl disconnect
step tgctl service-key list --service-account ci-demo
echo
echo "The key minted for this job was revoked and deleted by disconnect. Everything ran against"
echo "the emulator; nothing left this machine. Next: README.md, docs/connect.md, docs/emulator.md."

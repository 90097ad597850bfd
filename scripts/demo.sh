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

step() {
  printf '\n\033[1m$ %s\033[0m\n' "$*"
  "$@"
}

echo
echo "A local Twingate Admin API is running at $TGCTL_API_URL (network \"$TWINGATE_NETWORK\")."
step tgctl auth status
step tgctl service-account create ci-demo --resource demo-web
step tgctl service-key create --service-account ci-demo --name demo-job --expires-in-days 1 --key-file "$work/key.json"
echo "(the key is in $work/key.json, mode $(stat -c %a "$work/key.json"); it is shown only once)"
step tgctl service-key list --service-account ci-demo
step tgctl service-key revoke demo-job --service-account ci-demo --yes
step tgctl service-key delete demo-job --service-account ci-demo --yes
step tgctl service-key list --service-account ci-demo
echo
echo "Done. Everything ran against the emulator; nothing left this machine."

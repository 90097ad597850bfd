#!/usr/bin/env bash
# The README's first command: the main job end to end against the bundled emulator, with
# nothing but the Rust toolchain. It starts a local Admin API, then walks through what a CI
# pipeline does with tgctl, printing each command before its output.
set -euo pipefail
cd "$(dirname "$0")/.."

# The three binaries the demo runs. TGCTL_DEMO_PREBUILT (opt-in) names a release asset
# (tgctl-<target>.tar.gz, a local file: nothing is downloaded) or a directory holding them;
# whatever it lacks is built. Without it, only these three are built (not the whole workspace).
needed="tgctl tgctl-emulator twingate-sim"
bin="$PWD/target/debug"
missing="$needed"
if [ -n "${TGCTL_DEMO_PREBUILT:-}" ]; then
  # Kept in target/prebuilt after the demo, for the README's tour.
  prebuilt="$PWD/target/prebuilt"
  rm -rf "$prebuilt"
  mkdir -p "$prebuilt"
  if [ -d "$TGCTL_DEMO_PREBUILT" ]; then
    cp -p "$TGCTL_DEMO_PREBUILT"/* "$prebuilt"/ 2>/dev/null || true
  elif [ -f "$TGCTL_DEMO_PREBUILT" ]; then
    tar -xzf "$TGCTL_DEMO_PREBUILT" -C "$prebuilt" || { echo "TGCTL_DEMO_PREBUILT=$TGCTL_DEMO_PREBUILT is not a .tar.gz" >&2; exit 2; }
  else
    echo "TGCTL_DEMO_PREBUILT=$TGCTL_DEMO_PREBUILT: no such file or directory" >&2; exit 2
  fi
  # The archive may hold the binaries at its top or in one directory.
  found="$(find "$prebuilt" -maxdepth 2 -type f -name tgctl -perm -u+x | head -n 1)"
  missing=""
  for b in $needed; do
    if [ -n "$found" ] && [ -x "$(dirname "$found")/$b" ]; then :; else missing="$missing $b"; fi
  done
  if [ -n "$found" ]; then
    bin="$(dirname "$found")"
    echo "Using prebuilt binaries from $TGCTL_DEMO_PREBUILT:$(for b in $needed; do case " $missing " in *" $b "*) ;; *) printf ' %s' "$b";; esac; done)"
  fi
fi
if [ -n "${missing// /}" ]; then
  args=()
  for b in $missing; do
    case "$b" in
      tgctl) args+=(-p tgctl --bin tgctl) ;;
      tgctl-emulator) args+=(-p tgctl-emulator --bin tgctl-emulator) ;;
      twingate-sim) args+=(-p tgctl-sim --bin twingate-sim) ;;
    esac
  done
  start=$SECONDS
  read -ra names <<< "$missing"
  echo "Building ${names[*]} (the first time takes several minutes; later runs take seconds)..."
  # At a terminal cargo draws its own progress bar on one line; elsewhere it stays quiet.
  if [ -t 2 ]; then cargo build "${args[@]}"; else cargo build --quiet "${args[@]}"; fi
  echo "Built in $((SECONDS - start)) s."
  if [ "$bin" != "$PWD/target/debug" ]; then
    for b in $missing; do ln -sf "$PWD/target/debug/$b" "$bin/$b"; done
  fi
fi
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
echo "The binaries are in $bin (README's tour: export PATH=\"$bin:\$PATH\")."

# shellcheck shell=bash
# A world for the wrappers' end-to-end tests, sourced by scripts/test-wrappers.sh: the Admin API
# emulator, a faked machine (TGCTL_SYSROOT with /dev/net/tun and CAP_NET_ADMIN), the simulated
# client on PATH as `twingate`, and isolated tgctl config and state. Everything on loopback.
#   world_start DIR    needs BIN_DIR (tgctl, tgctl-emulator, twingate-sim); exports the env
#   world_stop

world_start() {
  WORLD="$1"
  mkdir -p "$WORLD/bin" "$WORLD/sysroot/dev/net" "$WORLD/sysroot/proc/self" "$WORLD/home"
  : >"$WORLD/sysroot/dev/net/tun"
  printf 'Name:\ttgctl\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n' >"$WORLD/sysroot/proc/self/status"
  ln -sf "$BIN_DIR/twingate-sim" "$WORLD/bin/twingate"
  ln -sf "$BIN_DIR/tgctl" "$WORLD/bin/tgctl"
  "$BIN_DIR/tgctl-emulator" serve --port 0 --seed demo --quiet --reads-per-minute 0 --writes-per-minute 0 \
    >"$WORLD/emulator.env" 2>"$WORLD/emulator.log" &
  WORLD_EMULATOR_PID=$!
  local _
  for _ in $(seq 1 200); do
    grep -q '^TGCTL_EMULATOR_URL=' "$WORLD/emulator.env" 2>/dev/null && break
    sleep 0.05
  done
  grep -q '^TGCTL_EMULATOR_URL=' "$WORLD/emulator.env" || { cat "$WORLD/emulator.log" >&2; echo "the emulator did not start" >&2; return 1; }
  set -a
  # shellcheck disable=SC1091
  . "$WORLD/emulator.env"
  set +a
  export PATH="$WORLD/bin:$PATH"
  export TGCTL_CONFIG_DIR="$WORLD/config" TGCTL_STATE_DIR="$WORLD/state" TGCTL_NO_KEYRING=1
  export TGCTL_SYSROOT="$WORLD/sysroot" TWINGATE_SIM_DIR="$WORLD/sim" TWINGATE_SIM_API_URL="$TGCTL_EMULATOR_URL"
  export TGCTL_BACKOFF_SCALE=0
  EMULATOR_PORT="${TGCTL_EMULATOR_URL##*:}"
  export EMULATOR_PORT
}

world_stop() {
  if [ -n "${WORLD_EMULATOR_PID:-}" ]; then
    kill "$WORLD_EMULATOR_PID" 2>/dev/null || true
    wait "$WORLD_EMULATOR_PID" 2>/dev/null || true
    WORLD_EMULATOR_PID=""
  fi
  # A simulated daemon left behind by a failed test
  if [ -n "${WORLD:-}" ] && [ -f "$WORLD/sim/twingated.pid" ]; then
    kill "$(cat "$WORLD/sim/twingated.pid")" 2>/dev/null || true
  fi
}

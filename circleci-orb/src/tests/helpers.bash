# shellcheck shell=bash disable=SC2034 # variables used by the tests that load this file
# Shared by the orb's bats tests: source the scripts without running them, a stand-in tgctl,
# and a local release server for install tests.
SCRIPTS="$BATS_TEST_DIRNAME/../scripts"
FAKE_TGCTL="$BATS_TEST_DIRNAME/../../../actions/tests/fixtures/fake-tgctl"
# The built tgctl, when there is one: the stand-in has its parser check every command line.
BUILT_TGCTL="${TGCTL_BIN_DIR:-${CARGO_TARGET_DIR:-$BATS_TEST_DIRNAME/../../../target}/debug}/tgctl"

common_setup() {
  export TGCTL_SOURCED_FOR_TESTS=1
  TEST_DIR="$(mktemp -d)"
  export HOME="$TEST_DIR/home" FAKE_TGCTL_LOG="$TEST_DIR/log"
  mkdir -p "$HOME" "$FAKE_TGCTL_LOG"
  if [ -x "$BUILT_TGCTL" ]; then export TGCTL_PARSER_BIN="$BUILT_TGCTL"; fi
  unset TGCTL TGCTL_BIN TGCTL_VERSION TGCTL_INSTALL_DIR TGCTL_RELEASES_URL BASH_ENV GITHUB_OUTPUT
  unset TWINGATE_SERVICE_KEY TWINGATE_API_TOKEN TGCTL_SERVICE_ACCOUNT TGCTL_NETWORK TGCTL_TIMEOUT
  unset FIREZONE_TOKEN FIREZONE_API_TOKEN TGCTL_SERVICE_KEY_VAR TGCTL_API_TOKEN_VAR
  unset TGCTL_RESOLVE TGCTL_PROBE TGCTL_REQUIRE_PRIVATE TGCTL_CLIENT_VERSION TGCTL_PROVIDER TGCTL_NETWORK_MODE
  unset TGCTL_INSTALL TGCTL_DOCKER_DNS TGCTL_CLIENT_CACHE TGCTL_BROKER_URL TGCTL_BROKER_AUDIENCE
  # A PATH without any tgctl on it
  CLEAN_PATH="$(printf '%s' "$PATH" | tr ':' '\n' | while read -r d; do [ -e "$d/tgctl" ] || printf '%s:' "$d"; done)"
  export PATH="${CLEAN_PATH%:}"
}

common_teardown() {
  if [ -n "${SERVER_PID:-}" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$TEST_DIR"
}

# Packs the stand-in tgctl as release VERSION for this machine under $TEST_DIR/www.
make_release() {
  local version="$1" target stage
  target="$(tgctl_target "$(uname -s)" "$(uname -m)")"
  stage="$TEST_DIR/stage-$version/tgctl-$target"
  mkdir -p "$stage" "$TEST_DIR/www/download/v$version"
  sed "s/\${FAKE_TGCTL_VERSION:-0.1.0}/$version/" "$FAKE_TGCTL" >"$stage/tgctl"
  chmod 755 "$stage/tgctl"
  tar -czf "$TEST_DIR/www/download/v$version/tgctl-$target.tar.gz" -C "$(dirname "$stage")" "tgctl-$target"
  (cd "$TEST_DIR/www/download/v$version" && sha256sum "tgctl-$target.tar.gz" >"tgctl-$target.tar.gz.sha256")
  RELEASE_ASSET="$TEST_DIR/www/download/v$version/tgctl-$target.tar.gz"
}

# Serves $TEST_DIR/www on a free loopback port; sets TGCTL_RELEASES_URL and SERVER_LOG.
serve_releases() {
  SERVER_LOG="$TEST_DIR/server.log"
  python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$TEST_DIR/www" >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  local port=""
  for _ in $(seq 1 100); do
    port="$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$SERVER_LOG" | head -n 1)"
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || { cat "$SERVER_LOG"; return 1; }
  export TGCTL_RELEASES_URL="http://127.0.0.1:$port"
}

#!/usr/bin/env bats
# src/scripts/connect.sh and disconnect.sh: settings mapped to tgctl flags, secrets kept out of
# argv, exported variables, and a cleanup that never fails.

load helpers

setup() {
  common_setup
  # shellcheck source=../scripts/connect.sh
  . "$SCRIPTS/connect.sh"
  # shellcheck source=../scripts/disconnect.sh
  . "$SCRIPTS/disconnect.sh"
  export TGCTL="$FAKE_TGCTL"
  CANARY='{"private_key":"-----BEGIN PRIVATE KEY-----\nCANARY0123456789\n-----END PRIVATE KEY-----"}'
}

teardown() { common_teardown; }

# Which flags the settings become is proved against the real tgctl's parser, for every
# combination of the orb's parameters (scripts/lib/argv-check.py), not asserted here.

@test "contradictory settings are refused before tgctl runs, with the reason" {
  export TWINGATE_SERVICE_KEY=k
  TGCTL_REQUIRE_PRIVATE=true run tgctl_connect
  [ "$status" -eq 2 ]
  [[ "$output" == *"require-private needs resolve"* ]]
  TGCTL_REQUIRE_PRIVATE=true TGCTL_RESOLVE=" , " run tgctl_connect
  [ "$status" -eq 2 ]
  TGCTL_INSTALL=sometimes run tgctl_connect
  [ "$status" -eq 2 ]
  [[ "$output" == *"install must be auto or never"* ]]
  [ ! -e "$FAKE_TGCTL_LOG/calls" ]
  TGCTL_REQUIRE_PRIVATE=true TGCTL_RESOLVE=db.internal TGCTL_CLIENT_VERSION=2026.1.2 TGCTL_DOCKER_DNS=true run tgctl_connect
  [ "$status" -eq 0 ]
  # The client package cache tgctl is told about, where the orb's save_cache finds it
  grep -qx "TGCTL_CLIENT_CACHE=$HOME/.cache/tgctl/twingate-client" "$FAKE_TGCTL_LOG/env-connect"
}

@test "the key goes to tgctl's environment, never its argv; exported variables reach BASH_ENV" {
  export TWINGATE_SERVICE_KEY="$CANARY" TGCTL_PROBE="db:5432" BASH_ENV="$TEST_DIR/bash_env"
  run tgctl_connect
  [ "$status" -eq 0 ]
  [ "$(grep -c CANARY "$FAKE_TGCTL_LOG/calls")" -eq 0 ]
  grep -qF "TWINGATE_SERVICE_KEY=$CANARY" "$FAKE_TGCTL_LOG/env-connect"
  [[ "$output" != *CANARY* ]]
  grep -qx "export HTTPS_PROXY='http://127.0.0.1:3128'" "$BASH_ENV"
  grep -qx "export NO_PROXY=localhost" "$BASH_ENV"
}

@test "exported variables are set in the calling shell too (GitLab: before_script and script share it)" {
  export TWINGATE_SERVICE_KEY=k
  tgctl_connect
  [ "$HTTPS_PROXY" = http://127.0.0.1:3128 ]
  [ "$NO_PROXY" = localhost ]
}

@test "the key can come from another variable, or from a file (GitLab file variables)" {
  export MY_KEY="$CANARY" TGCTL_SERVICE_KEY_VAR=MY_KEY
  run tgctl_connect
  [ "$status" -eq 0 ]
  grep -qF "TWINGATE_SERVICE_KEY=$CANARY" "$FAKE_TGCTL_LOG/env-connect"
  printf '%s' "$CANARY" >"$TEST_DIR/key.json"
  export MY_KEY="$TEST_DIR/key.json"
  run tgctl_connect
  [ "$status" -eq 0 ]
  # The file's path went to tgctl, not its content as if it were the key
  grep -qx 'TWINGATE_SERVICE_KEY=' "$FAKE_TGCTL_LOG/env-connect"
  TGCTL_SERVICE_KEY_VAR='X;rm -rf /' run tgctl_connect
  [ "$status" -eq 2 ]
}

@test "minting: the API token goes to the environment of connect and disconnect" {
  export TWINGATE_API_TOKEN=tgcanary-token TGCTL_SERVICE_ACCOUNT=ci-deployer TGCTL_NETWORK=acme
  run tgctl_connect
  [ "$status" -eq 0 ]
  grep -qx 'TWINGATE_API_TOKEN=tgcanary-token' "$FAKE_TGCTL_LOG/env-connect"
  grep -qx 'TWINGATE_SERVICE_KEY=' "$FAKE_TGCTL_LOG/env-connect"
  run tgctl_disconnect
  [ "$status" -eq 0 ]
  grep -qx 'TWINGATE_API_TOKEN=tgcanary-token' "$FAKE_TGCTL_LOG/env-disconnect"
  [ "$(grep -c tgcanary "$FAKE_TGCTL_LOG/calls")" -eq 0 ]
}

@test "firezone: the token goes to FIREZONE_TOKEN (a file: --token-file), the API token to FIREZONE_API_TOKEN" {
  export TGCTL_PROVIDER=firezone FIREZONE_TOKEN="fz-CANARY0123456789"
  run tgctl_connect
  [ "$status" -eq 0 ]
  grep -qx 'FIREZONE_TOKEN=fz-CANARY0123456789' "$FAKE_TGCTL_LOG/env-connect"
  grep -qx 'TWINGATE_SERVICE_KEY=' "$FAKE_TGCTL_LOG/env-connect"
  [ "$(grep -c CANARY "$FAKE_TGCTL_LOG/calls")" -eq 0 ]
  printf '%s' fz-CANARY0123456789 >"$TEST_DIR/token"
  export FIREZONE_TOKEN="$TEST_DIR/token"
  run tgctl_connect
  [ "$status" -eq 0 ]
  [ "$(grep -c CANARY "$FAKE_TGCTL_LOG/calls")" -eq 0 ]
  unset FIREZONE_TOKEN
  export FIREZONE_API_TOKEN=fzcanary-api TGCTL_SERVICE_ACCOUNT=ci
  run tgctl_connect
  [ "$status" -eq 0 ]
  grep -qx 'FIREZONE_API_TOKEN=fzcanary-api' "$FAKE_TGCTL_LOG/env-connect"
  run tgctl_disconnect
  [ "$status" -eq 0 ]
  grep -qx 'FIREZONE_API_TOKEN=fzcanary-api' "$FAKE_TGCTL_LOG/env-disconnect"
  grep -qx 'TWINGATE_API_TOKEN=' "$FAKE_TGCTL_LOG/env-disconnect"
  unset FIREZONE_API_TOKEN
  run tgctl_connect
  [ "$status" -eq 2 ]
  [[ "$output" == *'$FIREZONE_API_TOKEN'* ]]
}

@test "broker: no key and no API token are needed; a service account as well is refused" {
  export TGCTL_BROKER_URL=https://broker.example.com TGCTL_BROKER_AUDIENCE=tgctl-broker
  run tgctl_connect
  [ "$status" -eq 0 ]
  grep -qx 'TWINGATE_SERVICE_KEY=' "$FAKE_TGCTL_LOG/env-connect"
  grep -qx 'TWINGATE_API_TOKEN=' "$FAKE_TGCTL_LOG/env-connect"
  TGCTL_SERVICE_ACCOUNT=ci run tgctl_connect
  [ "$status" -eq 2 ]
  [[ "$output" == *"broker-url and service-account exclude each other"* ]]
}

@test "no key and no service account: a clear error before tgctl runs" {
  run tgctl_connect
  [ "$status" -eq 2 ]
  [[ "$output" == *'no service key: set $TWINGATE_SERVICE_KEY'* ]]
  TGCTL_SERVICE_ACCOUNT=ci run tgctl_connect
  [ "$status" -eq 2 ]
  [[ "$output" == *"needs an API token"* ]]
  [ ! -e "$FAKE_TGCTL_LOG/calls" ]
}

@test "a failed connect returns tgctl's exit code with its meaning" {
  export TWINGATE_SERVICE_KEY=k FAKE_TGCTL_EXIT=7
  run tgctl_connect
  [ "$status" -eq 7 ]
  [[ "$output" == *"exit code 7 (timed out waiting for the connection)"* ]]
}

@test "disconnect never fails: tgctl failing, or no tgctl at all" {
  FAKE_TGCTL_DISCONNECT_EXIT=8 run tgctl_disconnect
  [ "$status" -eq 0 ]
  [[ "$output" == *"exited with 8; continuing"* ]]
  TGCTL="" run tgctl_disconnect
  [ "$status" -eq 0 ]
  [[ "$output" == *"nothing to disconnect"* ]]
}

@test "disconnect finds tgctl through the stable link when PATH was reset (GitLab after_script)" {
  mkdir -p "$HOME/.tgctl/bin"
  ln -s "$FAKE_TGCTL" "$HOME/.tgctl/bin/tgctl"
  TGCTL="" run tgctl_disconnect
  [ "$status" -eq 0 ]
  [ -e "$FAKE_TGCTL_LOG/env-disconnect" ]
}

@test "macOS and Windows machines are told to use a Linux one, before anything runs" {
  export TWINGATE_SERVICE_KEY=k
  uname() { echo Darwin; }
  run tgctl_connect
  [ "$status" -eq 1 ]
  [[ "$output" == *"Twingate has no headless macOS client: run this job on a Linux machine"* ]]
  uname() { echo MINGW64_NT-10.0; }
  run tgctl_connect
  [ "$status" -eq 1 ]
  [[ "$output" == *"run this job on a Linux machine (this one is MINGW64_NT-10.0)"* ]]
  [ ! -e "$FAKE_TGCTL_LOG/calls" ]
}

#!/usr/bin/env bats
# src/scripts/install.sh: find or install tgctl (checksum-verified), for the orb and GitLab.

load helpers

setup() {
  common_setup
  # shellcheck source=../scripts/install.sh
  . "$SCRIPTS/install.sh"
}

teardown() { common_teardown; }

@test "release targets for Linux, macOS and Windows" {
  [ "$(tgctl_target Linux x86_64)" = x86_64-unknown-linux-musl ]
  [ "$(tgctl_target Linux aarch64)" = aarch64-unknown-linux-musl ]
  [ "$(tgctl_target Darwin arm64)" = aarch64-apple-darwin ]
  [ "$(tgctl_target MINGW64_NT-10.0 x86_64)" = x86_64-pc-windows-msvc ]
  run tgctl_target Linux s390x
  [ "$status" -ne 0 ]
  [[ "$output" == *"no tgctl release for CPU s390x"* ]]
}

@test "download URLs follow the release layout" {
  [ "$(tgctl_download_url 0.1.0 x86_64-unknown-linux-musl)" = https://github.com/tgctl/tgctl/releases/download/v0.1.0/tgctl-x86_64-unknown-linux-musl.tar.gz ]
  TGCTL_RELEASES_URL=http://mirror/r/ run tgctl_download_url latest t
  [ "$output" = http://mirror/r/latest/download/tgctl-t.tar.gz ]
}

@test "versions are normalised and anything else is refused" {
  [ "$(tgctl_version v1.2.3)" = 1.2.3 ]
  [ "$(tgctl_version latest)" = latest ]
  run tgctl_version '1.2.3;reboot'
  [ "$status" -ne 0 ]
  run tgctl_version main
  [ "$status" -ne 0 ]
  [[ "$output" == *"must be a version"* ]]
}

@test "TGCTL_BIN is used as is" {
  TGCTL_BIN="$FAKE_TGCTL" run tgctl_install
  [ "$status" -eq 0 ]
  [ "$output" = "$FAKE_TGCTL" ]
  TGCTL_BIN=/nonexistent run tgctl_install
  [ "$status" -ne 0 ]
}

@test "tgctl on PATH is used when no version is asked for, or when it is that version" {
  mkdir -p "$TEST_DIR/bin" && cp "$FAKE_TGCTL" "$TEST_DIR/bin/tgctl"
  PATH="$TEST_DIR/bin:$PATH" run tgctl_install
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "$TEST_DIR/bin/tgctl" ]
  TGCTL_VERSION=0.1.0 PATH="$TEST_DIR/bin:$PATH" run tgctl_install
  [ "${lines[-1]}" = "$TEST_DIR/bin/tgctl" ]
}

@test "downloads a version, verifies its checksum, installs it once, and puts it on PATH and BASH_ENV" {
  make_release 0.3.1
  serve_releases
  export TGCTL_VERSION=v0.3.1 BASH_ENV="$TEST_DIR/bash_env"
  run tgctl_install
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "$HOME/.tgctl/0.3.1/tgctl" ]
  [[ "$output" == *"SHA-256 verified"* ]]
  [ "$("$HOME/.tgctl/0.3.1/tgctl" --version)" = "tgctl 0.3.1" ]
  [ "$(grep -c 'GET /download/v0.3.1/' "$SERVER_LOG")" -eq 2 ]

  # Again: no download
  run tgctl_install
  [ "$status" -eq 0 ]
  [[ "$output" == *"installed before"* ]]
  [ "$(grep -c 'GET /download/v0.3.1/' "$SERVER_LOG")" -eq 2 ]

  tgctl_install_main
  [ "$TGCTL" = "$HOME/.tgctl/0.3.1/tgctl" ]
  command -v tgctl
  [ "$(command -v tgctl)" = "$HOME/.tgctl/0.3.1/tgctl" ]
  grep -qx "export PATH=\"$HOME/.tgctl/0.3.1:\$PATH\"" "$BASH_ENV"
  [ -L "$HOME/.tgctl/bin/tgctl" ]
}

@test "a checksum mismatch installs nothing" {
  make_release 0.3.2
  echo "$(printf '0%.0s' $(seq 1 64))  x" >"$RELEASE_ASSET.sha256"
  serve_releases
  TGCTL_VERSION=0.3.2 run tgctl_install
  [ "$status" -ne 0 ]
  [[ "$output" == *"checksum mismatch"*"nothing was installed"* ]]
  [ ! -e "$HOME/.tgctl/0.3.2/tgctl" ]
}

@test "a missing release is reported with its URL" {
  mkdir -p "$TEST_DIR/www"
  serve_releases
  TGCTL_VERSION=9.9.9 run tgctl_install
  [ "$status" -ne 0 ]
  [[ "$output" == *"could not download $TGCTL_RELEASES_URL/download/v9.9.9/tgctl-"* ]]
}

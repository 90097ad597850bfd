#!/usr/bin/env bash
# The README's test command: builds every binary, then runs every test (unit, binary tests
# against wiremock, end-to-end tests against the emulator and the simulated clients).
# It installs nothing globally; test tools it needs are installed by scripts/install-test-tools.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

if [ -x scripts/install-test-tools.sh ]; then
  step "Installing test tools (if missing)"
  scripts/install-test-tools.sh
fi

step "Checking the code's shape (no import circles, no file over 600 lines of code, no too_many_arguments)"
python3 scripts/lib/archcheck.py

step "Building all binaries"
cargo build --workspace --bins --locked

step "Running the Rust tests"
cargo test --workspace --locked

for extra in scripts/test-*.sh; do
  [ -e "$extra" ] || continue
  step "Running $extra"
  "$extra"
done

step "All tests passed"

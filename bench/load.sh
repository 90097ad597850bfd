#!/usr/bin/env bash
# The long load run of docs/reliability.md: 40 tgctl processes x 4 writes sharing one API token
# against the emulator's default limits (20 writes a minute): about 8 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --workspace --bins --locked
TGCTL_LOAD_WRITES="${1:-4}" cargo test -p tgctl-tests --locked --test it -- --nocapture load::forty_paced

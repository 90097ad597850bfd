#!/usr/bin/env bash
# The emulator against real clients and graphql-core (issue 17, item 8): every schema coordinate
# the Kubernetes operator and the Twingate-Labs Python CLI use is served with its type, our own
# operations over all of them run cleanly, and what graphql-core refuses the emulator refuses in
# the same words. See scripts/lib/fidelity.py and emulator/fidelity/.
# Needs the emulator binary (`cargo build -p tgctl-emulator`) and graphql-core 3.2 for Python
# (scripts/install-test-tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
bin=${EMULATOR_BIN:-$target/debug/tgctl-emulator}
[ -x "$bin" ] || cargo build -p tgctl-emulator --locked
exec python3 scripts/lib/fidelity.py "$bin"

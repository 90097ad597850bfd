#!/usr/bin/env bash
# tgctl-broker: how many CI jobs a minute one broker sustains against the Admin API's write
# limit (20 a minute per tenant; a job costs 3 writes: mint, revoke, delete), and that no write
# meets a 429. JOBS jobs arrive at once; each mints and releases; the clock stops when every key
# is revoked and deleted. Runs the ignored test broker_load::bench_sustained_jobs_per_minute
# (the real broker, a local OIDC issuer, the emulator at 20 writes/min). Takes minutes.
#
# Usage: bench/broker_jobs.sh [JOBS]   (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
export BROKER_BENCH_JOBS="${1:-20}"
cargo build -q -p tgctl -p tgctl-emulator -p tgctl-broker
cargo test -q -p tgctl-tests --test it broker_load::bench_sustained_jobs_per_minute -- --ignored --nocapture 2>&1 |
  grep -E '^(broker bench|  )'

#!/usr/bin/env bash
# The fuzz targets (cli/src/fuzz/, proptest) with many cases: the long run of docs/reliability.md.
# CI runs every target with its default number of cases as part of `cargo test`; this runs each
# target alone with PROPTEST_CASES (default 20000) and prints cases, time and result per target.
#   scripts/fuzz.sh [CASES]
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${1:-20000}"
exe=$(cargo test -p tgctl --lib --locked --no-run --message-format=json 2>/dev/null \
  | grep -o '"executable":"[^"]*"' | tail -n 1 | cut -d'"' -f4)
[ -x "$exe" ] || { echo "cannot build the tgctl unit tests" >&2; exit 1; }
# A copy, so that a rebuild meanwhile does not change what runs.
bin="$(mktemp -d)/tgctl-fuzz"
cp "$exe" "$bin"
targets=$("$bin" --list 'fuzz::' 2>/dev/null | sed -n 's/: test$//p')
printf '%-62s %8s %8s  %s\n' target cases seconds result
failed=0
for t in $targets; do
  start=$(date +%s%N)
  if out=$(PROPTEST_CASES="$cases" RUST_BACKTRACE=0 "$bin" --exact "$t" 2>&1); then
    result=ok
  else
    result=FAILED; failed=1
    printf '%s\n' "$out" | grep -E 'minimal failing|Test failed|panicked' | head -5
  fi
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  printf '%-62s %8s %5d.%01d  %s\n' "$t" "$cases" $((ms / 1000)) $((ms % 1000 / 100)) "$result"
done
rm -rf "$(dirname "$bin")"
exit "$failed"

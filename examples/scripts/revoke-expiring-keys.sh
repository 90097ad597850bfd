#!/usr/bin/env bash
# Audit: list active keys that expire within a time (default 14d), as a nightly job would.
#
#   TWINGATE_API_TOKEN=... TWINGATE_NETWORK=acme ./revoke-expiring-keys.sh [WITHIN] [--revoke]
#
# With --revoke they are revoked too (e.g. after rotating them); without, they are only listed.
set -euo pipefail

within="${1:-14d}"
tgctl service-key list --status active --expiring-within "$within"
if [ "${2:-}" = --revoke ]; then
  tgctl service-key list --status active --expiring-within "$within" -o id | while read -r id; do
    tgctl service-key revoke "$id" --yes -q
    echo "revoked $id" >&2
  done
fi

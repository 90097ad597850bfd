#!/usr/bin/env bash
# Revoke a service key at once (a leak, a retired pipeline). Revoking is final.
#
#   TWINGATE_API_TOKEN=... TWINGATE_NETWORK=acme ./revoke-key.sh KEY [--delete]
#
# KEY is the key's ID (or its name, if unique). With --delete the revoked key is also removed.
set -euo pipefail

key="${1:?usage: revoke-key.sh KEY [--delete]}"
if [ "${2:-}" = --delete ]; then
  tgctl service-key delete "$key" --revoke --yes
else
  tgctl service-key revoke "$key" --yes
fi

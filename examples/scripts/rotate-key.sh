#!/usr/bin/env bash
# Replace a service key: the new key is written first, then the old one is revoked (and, with
# --delete-old, deleted).
#
#   TWINGATE_API_TOKEN=... TWINGATE_NETWORK=acme ./rotate-key.sh OLD_KEY [DAYS] [KEY_FILE] [--delete-old]
#
# OLD_KEY is the key's ID (or its name, if unique). The new key goes into KEY_FILE (default
# ./twingate-key.json, replaced if it exists, mode 0600); store it as create-key.sh says, then
# delete the file. Prints the new key's ID on stdout.
set -euo pipefail

old="${1:?usage: rotate-key.sh OLD_KEY [DAYS] [KEY_FILE] [--delete-old]}"
days="${2:-30}"
key_file="${3:-twingate-key.json}"
extra=()
if [ "${4:-}" = --delete-old ]; then extra+=(--delete-old); fi

new_id="$(tgctl service-key rotate "$old" --expires-in-days "$days" --key-file "$key_file" --force --yes -o id "${extra[@]}")"
echo "Rotated: new key $new_id in $key_file; the old key $old is revoked${extra:+ and deleted}." >&2
echo "$new_id"

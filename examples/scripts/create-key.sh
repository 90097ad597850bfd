#!/usr/bin/env bash
# Create a service key for CI and put it where the pipeline reads it.
#
#   TWINGATE_API_TOKEN=... TWINGATE_NETWORK=acme ./create-key.sh SERVICE_ACCOUNT [DAYS] [KEY_FILE]
#
# The key goes into KEY_FILE (default ./twingate-key.json, mode 0600, refused if it exists) and
# is shown nowhere else. Then store it in your CI's secret store, e.g.:
#   gh secret set TWINGATE_SERVICE_KEY < twingate-key.json              (GitHub)
#   base64 -w0 twingate-key.json | glab variable set TWINGATE_SERVICE_KEY --masked --protected   (GitLab)
#   base64 -w0 twingate-key.json   -> a CircleCI context variable TWINGATE_SERVICE_KEY
# and delete the file. Prints the new key's ID on stdout (keep it: rotate-key.sh takes it).
set -euo pipefail

account="${1:?usage: create-key.sh SERVICE_ACCOUNT [DAYS] [KEY_FILE]}"
days="${2:-30}"
key_file="${3:-twingate-key.json}"

# The service account must exist; tgctl says clearly if it does not (exit 4).
tgctl service-account get "$account" -o id >/dev/null

key_id="$(tgctl service-key create --service-account "$account" --name "ci-$(date -u +%Y%m%d)" \
  --expires-in-days "$days" --key-file "$key_file" -o id)"
echo "Created key $key_id for $account, valid $days days, in $key_file (mode $(stat -c %a "$key_file" 2>/dev/null || stat -f %Lp "$key_file"))." >&2
echo "$key_id"

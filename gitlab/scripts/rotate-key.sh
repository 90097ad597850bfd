#!/bin/sh
# Key rotation for the GitLab component (embedded verbatim in templates/connect.yml):
# `tgctl service-key rotate` writes a new key to a 0600 file and revokes the old one; the new key
# is then stored, base64 (so GitLab can mask it), in the CI/CD variable jobs connect with, and its
# ID in <that variable>_ID for the next rotation. POSIX sh; needs tgctl, curl and base64.
#   TGCTL_ROTATE_KEY             the key to replace (ID or name); default: the value of
#                                <TGCTL_ROTATE_KEY_VARIABLE>_ID, where the last rotation stored it
#   TGCTL_ROTATE_SERVICE_ACCOUNT narrows a name lookup (optional)
#   TGCTL_ROTATE_EXPIRES_IN_DAYS lifetime of the new key
#   TGCTL_ROTATE_KEY_VARIABLE    CI/CD variable to store the new key in (e.g. TWINGATE_SERVICE_KEY)
#   TGCTL_API_TOKEN_VAR          name of the variable with the Admin API token
#   TGCTL_GITLAB_TOKEN_VAR       name of the variable with a GitLab token (api scope, Maintainer)
# GitLab's predefined CI_API_V4_URL and CI_PROJECT_ID say where the variable lives.

tgctl_rotate_log() { printf 'tgctl-rotate: %s\n' "$*" >&2; }

tgctl_rotate() (
  set -eu
  bin="${TGCTL:-tgctl}"
  for name in "${TGCTL_API_TOKEN_VAR:-TWINGATE_API_TOKEN}" "${TGCTL_GITLAB_TOKEN_VAR:-GITLAB_API_TOKEN}" "${TGCTL_ROTATE_KEY_VARIABLE:-TWINGATE_SERVICE_KEY}"; do
    case "$name" in '' | [0-9]* | *[!A-Za-z0-9_]*) tgctl_rotate_log "not a variable name: $name"; exit 2 ;; esac
  done
  key_var="${TGCTL_ROTATE_KEY_VARIABLE:-TWINGATE_SERVICE_KEY}"
  api_token="$(eval "printf '%s' \"\${${TGCTL_API_TOKEN_VAR:-TWINGATE_API_TOKEN}:-}\"")"
  gitlab_token="$(eval "printf '%s' \"\${${TGCTL_GITLAB_TOKEN_VAR:-GITLAB_API_TOKEN}:-}\"")"
  # The key to replace: the rotate-key input, else the ID this template stored last time, in
  # <service-key variable>_ID (so a renamed service-key-variable keeps working).
  old_key="${TGCTL_ROTATE_KEY:-$(eval "printf '%s' \"\${${key_var}_ID:-}\"")}"
  [ -n "$old_key" ] || { tgctl_rotate_log "no key to rotate: set ${key_var}_ID to the current key's ID (tgctl service-key list), or the rotate-key input"; exit 2; }
  [ -n "$api_token" ] || { tgctl_rotate_log "no Admin API token in \$${TGCTL_API_TOKEN_VAR:-TWINGATE_API_TOKEN}"; exit 2; }
  [ -n "$gitlab_token" ] || { tgctl_rotate_log "no GitLab token in \$${TGCTL_GITLAB_TOKEN_VAR:-GITLAB_API_TOKEN} (a project access token with the api scope)"; exit 2; }
  api="${CI_API_V4_URL:?CI_API_V4_URL is not set}/projects/${CI_PROJECT_ID:?CI_PROJECT_ID is not set}/variables"

  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  # Secrets go to curl through files, never its argv.
  (umask 077 && printf 'PRIVATE-TOKEN: %s\n' "$gitlab_token" >"$work/auth")

  # 1. Before any key changes: can this token update the variable?
  code="$(curl -sS -o "$work/get" -w '%{http_code}' -H "@$work/auth" "$api/$key_var")" || code=000
  case "$code" in
    200) method=PUT; url="$api/$key_var" ;;
    404) method=POST; url="$api" ;;
    *) tgctl_rotate_log "the GitLab API answered HTTP $code for $api/$key_var: the token needs the api scope and the Maintainer role; no key was changed"; exit 3 ;;
  esac

  # 2. The new key, into a 0600 file; the old key is revoked by tgctl once the new one is written.
  set -- service-key rotate "$old_key" --key-file "$work/key.json" --expires-in-days "${TGCTL_ROTATE_EXPIRES_IN_DAYS:-30}" --yes -o id
  if [ -n "${TGCTL_ROTATE_SERVICE_ACCOUNT:-}" ]; then set -- "$@" --service-account "$TGCTL_ROTATE_SERVICE_ACCOUNT"; fi
  if [ -n "${TGCTL_NETWORK:-}" ]; then set -- "$@" --network "$TGCTL_NETWORK"; fi
  tgctl_rotate_log "running: tgctl $*"
  new_id="$(TWINGATE_API_TOKEN="$api_token" "$bin" "$@" </dev/null)"
  [ -n "$new_id" ] || { tgctl_rotate_log "tgctl printed no key ID"; exit 1; }

  # 3. Store it: base64 on one line, masked and protected; then its ID.
  base64 <"$work/key.json" | tr -d '\n' >"$work/key.b64"
  code="$(curl -sS -o "$work/put" -w '%{http_code}' -X "$method" -H "@$work/auth" \
    --data-urlencode "key=$key_var" --data-urlencode "value@$work/key.b64" \
    --data "masked=true" --data "protected=true" --data "raw=true" "$url")" || code=000
  case "$code" in
    200 | 201) ;;
    *)
      tgctl_rotate_log "could not store the new key in $key_var (HTTP $code); the old key is revoked and the new key $new_id is lost: revoke it with \`tgctl service-key revoke $new_id --yes\` and run this job again"
      exit 1
      ;;
  esac
  id_var="${key_var}_ID"
  code="$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H "@$work/auth" --data-urlencode "value=$new_id" "$api/$id_var")" || code=000
  if [ "$code" = 404 ]; then
    code="$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H "@$work/auth" --data-urlencode "key=$id_var" --data-urlencode "value=$new_id" "$api")" || code=000
  fi
  case "$code" in
    200 | 201) ;;
    *) tgctl_rotate_log "stored the new key, but not its ID in $id_var (HTTP $code): set $id_var to $new_id by hand" ;;
  esac
  tgctl_rotate_log "rotated: $key_var now holds key $new_id"
)

# Not run when sourced by tests.
if [ "${TGCTL_SOURCED_FOR_TESTS:-}" != 1 ]; then
  tgctl_rotate
fi

#!/bin/sh
# Runs `tgctl disconnect` (stop the client, remove the key, revoke a minted key), for the
# CircleCI orb and (embedded verbatim) the GitLab component. Best effort: it never fails the job,
# and is safe after a failed or skipped connect. POSIX sh.
#   TGCTL_API_TOKEN_VAR   name of the variable holding the API token (to revoke a minted key)
#   TGCTL_NETWORK         network name, when connect was given one
#   TGCTL_PROVIDER        firezone: the token goes to tgctl as FIREZONE_API_TOKEN (default
#                         variable FIREZONE_API_TOKEN); it deletes a minted token and the job's
#                         client record

tgctl_disconnect() {
  _bin="${TGCTL:-}"
  if [ -z "$_bin" ] || [ ! -x "$_bin" ]; then _bin="$(command -v tgctl 2>/dev/null || true)"; fi
  _link="${TGCTL_INSTALL_DIR:-${HOME:-/tmp}/.tgctl}/bin/tgctl"
  if [ -z "$_bin" ] && [ -x "$_link" ]; then _bin="$_link"; fi
  if [ -z "$_bin" ]; then
    printf 'tgctl-disconnect: tgctl is not installed; nothing to disconnect\n' >&2
    return 0
  fi
  _var="${TGCTL_API_TOKEN_VAR:-TWINGATE_API_TOKEN}"
  case "$_var" in '' | [0-9]* | *[!A-Za-z0-9_]*) _var=TWINGATE_API_TOKEN ;; esac
  _fz=""
  case "${TGCTL_PROVIDER:-}" in firezone | Firezone | FIREZONE) _fz=1 ;; esac
  if [ -n "$_fz" ] && [ "$_var" = TWINGATE_API_TOKEN ]; then _var=FIREZONE_API_TOKEN; fi
  _token="$(eval "printf '%s' \"\${$_var:-}\"")"
  set -- disconnect
  if [ -n "${TGCTL_NETWORK:-}" ]; then set -- "$@" --network "$TGCTL_NETWORK"; fi
  printf 'tgctl-disconnect: running: tgctl %s\n' "$*" >&2
  _code=0
  if [ -n "$_token" ] && [ -n "$_fz" ]; then
    FIREZONE_API_TOKEN="$_token" "$_bin" "$@" </dev/null || _code=$?
  elif [ -n "$_token" ]; then
    TWINGATE_API_TOKEN="$_token" "$_bin" "$@" </dev/null || _code=$?
  else
    "$_bin" "$@" </dev/null || _code=$?
  fi
  unset _token
  if [ "$_code" -ne 0 ]; then
    printf 'tgctl-disconnect: warning: tgctl disconnect exited with %s; continuing\n' "$_code" >&2
  fi
  return 0
}

# Not run when sourced by the bats tests.
if [ "${TGCTL_SOURCED_FOR_TESTS:-}" != 1 ]; then
  tgctl_disconnect
fi

#!/bin/sh
# Runs `tgctl connect --wait` for the CircleCI orb and (embedded verbatim) the GitLab component.
# Everything is decided by tgctl; this maps settings to flags. POSIX sh.
#   TGCTL_SERVICE_KEY_VAR   name of the variable holding the service key (JSON or base64, or the
#                           path of a file holding it); default TWINGATE_SERVICE_KEY
#   TGCTL_API_TOKEN_VAR     name of the variable holding an API token for --mint; default
#                           TWINGATE_API_TOKEN
#   TGCTL_SERVICE_ACCOUNT   mint a key for this job for this service account (needs the token)
#   TGCTL_BROKER_URL        get this job's key from a tgctl-broker for the job's OIDC token
#                           (no API token, no service key); TGCTL_BROKER_AUDIENCE its audience
#   TGCTL_NETWORK TGCTL_TIMEOUT TGCTL_RESOLVE TGCTL_PROBE (lists: spaces, commas or newlines)
#   TGCTL_REQUIRE_PRIVATE (true/false) TGCTL_CLIENT_VERSION TGCTL_PROVIDER TGCTL_NETWORK_MODE
#   TGCTL_INSTALL (auto/never: install the client when missing) TGCTL_DOCKER_DNS (true/false)
#   TGCTL_CLIENT_CACHE      where the client package is kept (default ~/.cache/tgctl/twingate-client)
# With TGCTL_PROVIDER=firezone the credential is a Firezone service-account token, passed to
# tgctl as FIREZONE_TOKEN (a file: --token-file), and the API token as FIREZONE_API_TOKEN; the
# default variable names are then FIREZONE_TOKEN and FIREZONE_API_TOKEN.
# Secrets go to tgctl in its environment only. Variables tgctl exports (e.g. proxy settings)
# are set in this shell and, where BASH_ENV is set (CircleCI), for the steps after this one.

tgctl_connect_log() { printf 'tgctl-connect: %s\n' "$*" >&2; }

# Whether $1 can be a variable name.
tgctl_is_name() {
  case "$1" in '' | [0-9]* | *[!A-Za-z0-9_]*) return 1 ;; esac
  return 0
}

# The value of the variable named $1 (empty if unset).
tgctl_value_of() {
  tgctl_is_name "$1" || { tgctl_connect_log "not a variable name: $1"; return 1; }
  eval "printf '%s' \"\${$1:-}\""
}

# Whether the provider is Firezone.
tgctl_firezone() {
  case "${TGCTL_PROVIDER:-}" in firezone | Firezone | FIREZONE) return 0 ;; esac
  return 1
}

# The variable named by $1 (default $2); with Firezone, the Twingate default $2 means $3.
tgctl_var_name() {
  _name="${1:-$2}"
  if tgctl_firezone && [ "$_name" = "$2" ]; then _name="$3"; fi
  printf '%s' "$_name"
}

# Prints the tgctl connect arguments, one a line (no secret is ever among them).
tgctl_connect_args() (
  set -f
  echo connect
  echo --wait
  if [ -n "${TGCTL_KEY_FILE:-}" ]; then
    if tgctl_firezone; then printf '%s\n' --token-file "$TGCTL_KEY_FILE"; else printf '%s\n' --service-key-file "$TGCTL_KEY_FILE"; fi
  fi
  if [ -n "${TGCTL_SERVICE_ACCOUNT:-}" ]; then printf '%s\n' --mint --service-account "$TGCTL_SERVICE_ACCOUNT"; fi
  if [ -n "${TGCTL_BROKER_URL:-}" ]; then
    printf '%s\n' --broker "$TGCTL_BROKER_URL"
    if [ -n "${TGCTL_BROKER_AUDIENCE:-}" ]; then printf '%s\n' --audience "$TGCTL_BROKER_AUDIENCE"; fi
  fi
  if [ -n "${TGCTL_NETWORK:-}" ]; then printf '%s\n' --network "$TGCTL_NETWORK"; fi
  if [ -n "${TGCTL_TIMEOUT:-}" ]; then printf '%s\n' --timeout "$TGCTL_TIMEOUT"; fi
  for host in $(printf '%s' "${TGCTL_RESOLVE:-}" | tr ',\n' '  '); do printf '%s\n' --resolve "$host"; done
  case "${TGCTL_REQUIRE_PRIVATE:-false}" in true | True | TRUE | 1) echo --require-private ;; esac
  for target in $(printf '%s' "${TGCTL_PROBE:-}" | tr ',\n' '  '); do printf '%s\n' --probe "$target"; done
  printf '%s\n' --install "${TGCTL_INSTALL:-auto}"
  if [ -n "${TGCTL_CLIENT_VERSION:-}" ]; then printf '%s\n' --client-version "$TGCTL_CLIENT_VERSION"; fi
  case "${TGCTL_DOCKER_DNS:-false}" in true | True | TRUE | 1) echo --docker-dns ;; esac
  if [ -n "${TGCTL_PROVIDER:-}" ]; then printf '%s\n' --provider "$TGCTL_PROVIDER"; fi
  if [ -n "${TGCTL_NETWORK_MODE:-}" ]; then printf '%s\n' --network-mode "$TGCTL_NETWORK_MODE"; fi
  if [ -n "${TGCTL_ENV_FILE:-}" ]; then printf '%s\n' --env-file "$TGCTL_ENV_FILE"; fi
)

# Turns NAME=value lines into `export NAME=value` lines (for BASH_ENV).
tgctl_exports() {
  sed -e '/^[[:space:]]*export[[:space:]]/b' -e 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*=\)/export \1/' -e '/^export /!d' "$1"
}

# Why this machine cannot connect (printed), or nothing. Twingate publishes no headless client
# for macOS, and tgctl supervises the Linux clients.
tgctl_platform_problem() {
  case "$(uname -s)" in
    Linux) return 1 ;;
    Darwin) echo "Twingate has no headless macOS client: run this job on a Linux machine (CircleCI: a machine or docker executor; GitLab: a Linux runner)" ;;
    *) echo "tgctl connect supervises the Linux headless clients: run this job on a Linux machine (this one is $(uname -s))" ;;
  esac
}

tgctl_connect() {
  if _why="$(tgctl_platform_problem)"; then
    tgctl_connect_log "$_why"
    return 1
  fi
  _bin="${TGCTL:-tgctl}"
  _key_var="$(tgctl_var_name "${TGCTL_SERVICE_KEY_VAR:-}" TWINGATE_SERVICE_KEY FIREZONE_TOKEN)"
  _token_var="$(tgctl_var_name "${TGCTL_API_TOKEN_VAR:-}" TWINGATE_API_TOKEN FIREZONE_API_TOKEN)"
  _key="$(tgctl_value_of "$_key_var")" || return 2
  _token="$(tgctl_value_of "$_token_var")" || return 2
  case "${TGCTL_REQUIRE_PRIVATE:-false}" in
    true | True | TRUE | 1)
      if [ -z "$(printf '%s' "${TGCTL_RESOLVE:-}" | tr -d ' ,\n')" ]; then
        tgctl_connect_log "require-private needs resolve: the host names whose addresses must be private"
        return 2
      fi
      ;;
  esac
  case "${TGCTL_INSTALL:-auto}" in
    auto | never) ;;
    *)
      tgctl_connect_log "install must be auto or never, not ${TGCTL_INSTALL}"
      return 2
      ;;
  esac
  # Where tgctl keeps the client package it downloads; the orb and the component cache it.
  if [ -z "${TGCTL_CLIENT_CACHE:-}" ]; then TGCTL_CLIENT_CACHE="${HOME:-/tmp}/.cache/tgctl/twingate-client"; fi
  export TGCTL_CLIENT_CACHE
  TGCTL_KEY_FILE=""
  if [ -n "${TGCTL_BROKER_URL:-}" ]; then
    # The broker gives the key for the job's OIDC token: no key, no API token in the job.
    if [ -n "${TGCTL_SERVICE_ACCOUNT:-}" ]; then
      tgctl_connect_log "broker-url and service-account exclude each other: the broker decides the service account"
      return 2
    fi
    _key=""
    _token=""
  elif [ -n "${TGCTL_SERVICE_ACCOUNT:-}" ]; then
    [ -n "$_token" ] || { tgctl_connect_log "minting a key for ${TGCTL_SERVICE_ACCOUNT} needs an API token in \$$_token_var"; return 2; }
    _key=""
  elif [ -z "$_key" ]; then
    tgctl_connect_log "no service key: set \$$_key_var (a protected, masked CI variable), or a service account to mint a key for"
    return 2
  elif [ "${#_key}" -lt 4096 ] && [ -f "$_key" ]; then
    # A file-type CI variable holds the path of a file with the key.
    TGCTL_KEY_FILE="$_key"
    _key=""
  fi
  TGCTL_ENV_FILE="$(mktemp)"
  _args="$(TGCTL_KEY_FILE="$TGCTL_KEY_FILE" TGCTL_ENV_FILE="$TGCTL_ENV_FILE" tgctl_connect_args)"
  _old_ifs="$IFS"
  IFS='
'
  set -f
  # shellcheck disable=SC2086 # one argument a line
  set -- $_args
  set +f
  IFS="$_old_ifs"
  tgctl_connect_log "running: tgctl $*"
  _code=0
  if [ -n "$_key" ] && tgctl_firezone; then
    FIREZONE_TOKEN="$_key" "$_bin" "$@" </dev/null || _code=$?
  elif [ -n "$_key" ]; then
    TWINGATE_SERVICE_KEY="$_key" "$_bin" "$@" </dev/null || _code=$?
  elif [ -n "$_token" ] && tgctl_firezone; then
    FIREZONE_API_TOKEN="$_token" "$_bin" "$@" </dev/null || _code=$?
  elif [ -n "$_token" ]; then
    TWINGATE_API_TOKEN="$_token" "$_bin" "$@" </dev/null || _code=$?
  else
    "$_bin" "$@" </dev/null || _code=$?
  fi
  unset _key _token
  if [ -s "$TGCTL_ENV_FILE" ]; then
    tgctl_exports "$TGCTL_ENV_FILE" >"$TGCTL_ENV_FILE.sh"
    # shellcheck disable=SC1090
    . "$TGCTL_ENV_FILE.sh"
    if [ -n "${BASH_ENV:-}" ]; then cat "$TGCTL_ENV_FILE.sh" >>"$BASH_ENV"; fi
    tgctl_connect_log "exported: $(sed -n 's/^export \([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' "$TGCTL_ENV_FILE.sh" | tr '\n' ' ')"
  fi
  rm -f "$TGCTL_ENV_FILE" "$TGCTL_ENV_FILE.sh"
  if [ "$_code" -ne 0 ]; then
    case "$_code" in
      2) _why="bad input or service key" ;;
      3) _why="authentication failed" ;;
      7) _why="timed out waiting for the connection" ;;
      8) _why="the headless client is missing or failed" ;;
      *) _why="see the lines above" ;;
    esac
    tgctl_connect_log "tgctl connect failed with exit code $_code ($_why); the cleanup step still disconnects"
  fi
  return "$_code"
}

# Not run when sourced by the bats tests.
if [ "${TGCTL_SOURCED_FOR_TESTS:-}" != 1 ]; then
  tgctl_connect
fi

#!/bin/sh
# Finds or installs tgctl, for the CircleCI orb and (embedded verbatim) the GitLab component.
# POSIX sh; needs curl or wget, tar (unzip on Windows), and sha256sum or shasum.
#   TGCTL_BIN            use this tgctl binary (nothing is downloaded)
#   TGCTL_VERSION        version to install (1.0.0, v1.0.0 or latest); empty: tgctl on PATH if
#                        there is one, else TGCTL_DEFAULT_VERSION
#   TGCTL_RELEASES_URL   release base URL (default https://github.com/tgctl/tgctl/releases)
#   TGCTL_INSTALL_DIR    where to put downloaded binaries (default $HOME/.tgctl), one dir a version
# Prints where tgctl is, puts its directory on PATH, and, where BASH_ENV is set (CircleCI), on
# the PATH of the steps after this one.

TGCTL_DEFAULT_VERSION="1.0.0"

tgctl_log() { printf 'tgctl-install: %s\n' "$*" >&2; }

# The Rust target of the release asset for this machine: uname -s and uname -m.
tgctl_target() {
  case "$2" in
    x86_64 | amd64) _cpu=x86_64 ;;
    aarch64 | arm64) _cpu=aarch64 ;;
    *) tgctl_log "no tgctl release for CPU $2; set TGCTL_BIN to a tgctl binary"; return 1 ;;
  esac
  case "$1" in
    Linux) echo "$_cpu-unknown-linux-musl" ;;
    Darwin) echo "$_cpu-apple-darwin" ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT) echo "x86_64-pc-windows-msvc" ;;
    *) tgctl_log "no tgctl release for $1; set TGCTL_BIN to a tgctl binary"; return 1 ;;
  esac
}

# The archive of a target: .zip on Windows, .tar.gz elsewhere (as the release publishes them).
tgctl_archive_ext() {
  case "$1" in *windows*) echo zip ;; *) echo tar.gz ;; esac
}

# The archive URL of a version (latest or X.Y.Z) and target; its checksum is at <url>.sha256.
tgctl_download_url() {
  _base="${TGCTL_RELEASES_URL:-https://github.com/tgctl/tgctl/releases}"
  _base="${_base%/}"
  _asset="tgctl-$2.$(tgctl_archive_ext "$2")"
  if [ "$1" = latest ]; then
    echo "$_base/latest/download/$_asset"
  else
    echo "$_base/download/v$1/$_asset"
  fi
}

# Normalises a version: v1.0.0 -> 1.0.0; refuses anything that is not a version or "latest".
tgctl_version() {
  _v="${1#v}"
  case "$_v" in
    latest) echo latest ;;
    [0-9]*.[0-9]*.[0-9]*)
      case "$_v" in *[!0-9A-Za-z.+-]*) tgctl_log "not a version: $1"; return 1 ;; esac
      echo "$_v" ;;
    *) tgctl_log "TGCTL_VERSION must be a version like 1.0.0 or latest, not \"$1\""; return 1 ;;
  esac
}

tgctl_fetch() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 --retry-delay 2 --connect-timeout 20 -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -T 20 -t 3 -O "$2" "$1"
  else
    tgctl_log "neither curl nor wget is installed"
    return 1
  fi
}

tgctl_sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  else
    tgctl_log "neither sha256sum nor shasum is installed"
    return 1
  fi
}

# Prints the path of the tgctl to use, downloading and verifying it if needed.
tgctl_install() (
  set -eu
  if [ -n "${TGCTL_BIN:-}" ]; then
    [ -x "$TGCTL_BIN" ] || { tgctl_log "TGCTL_BIN is $TGCTL_BIN, which is not an executable file"; exit 1; }
    echo "$TGCTL_BIN"
    exit 0
  fi
  on_path="$(command -v tgctl 2>/dev/null || true)"
  if [ -z "${TGCTL_VERSION:-}" ] && [ -n "$on_path" ]; then
    tgctl_log "using $on_path ($("$on_path" --version 2>/dev/null || echo 'unknown version'))"
    echo "$on_path"
    exit 0
  fi
  version="$(tgctl_version "${TGCTL_VERSION:-$TGCTL_DEFAULT_VERSION}")"
  if [ -n "$on_path" ] && [ "$version" != latest ] && [ "$("$on_path" --version 2>/dev/null || true)" = "tgctl $version" ]; then
    tgctl_log "using $on_path (tgctl $version)"
    echo "$on_path"
    exit 0
  fi
  target="$(tgctl_target "$(uname -s)" "$(uname -m)")"
  exe=tgctl
  case "$target" in *windows*) exe=tgctl.exe ;; esac
  dir="${TGCTL_INSTALL_DIR:-${HOME:-/tmp}/.tgctl}/$version"
  if [ "$version" != latest ] && [ -x "$dir/$exe" ] && [ -f "$dir/.complete" ]; then
    tgctl_log "using $dir/$exe (installed before)"
    echo "$dir/$exe"
    exit 0
  fi
  url="$(tgctl_download_url "$version" "$target")"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  tgctl_log "downloading $url"
  archive="$work/tgctl.$(tgctl_archive_ext "$target")"
  tgctl_fetch "$url" "$archive" || { tgctl_log "could not download $url"; exit 1; }
  tgctl_fetch "$url.sha256" "$archive.sha256" || { tgctl_log "could not download $url.sha256"; exit 1; }
  expected="$(tr -d '\r' <"$archive.sha256" | grep -oE '[0-9A-Fa-f]{64}' | head -n 1 | tr 'A-F' 'a-f')"
  actual="$(tgctl_sha256 "$archive")"
  if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
    tgctl_log "checksum mismatch for $url: expected ${expected:-nothing}, got $actual; nothing was installed"
    exit 1
  fi
  tgctl_log "SHA-256 verified: $actual"
  mkdir -p "$work/x"
  case "$archive" in
    *.zip) unzip -q "$archive" -d "$work/x" ;;
    *) tar -xzf "$archive" -C "$work/x" ;;
  esac
  found="$(find "$work/x" -type f -name "$exe" | head -n 1)"
  [ -n "$found" ] || { tgctl_log "the archive holds no $exe"; exit 1; }
  mkdir -p "$dir"
  cp "$found" "$dir/$exe.new"
  chmod 755 "$dir/$exe.new"
  mv -f "$dir/$exe.new" "$dir/$exe"
  [ "$version" = latest ] || : >"$dir/.complete"
  tgctl_log "installed $dir/$exe ($("$dir/$exe" --version 2>/dev/null || echo 'unknown version'))"
  echo "$dir/$exe"
)

# Installs, then puts tgctl on PATH here and, with BASH_ENV (CircleCI), for later steps.
tgctl_install_main() {
  TGCTL="$(tgctl_install)" || return 1
  _tgctl_dir="$(dirname "$TGCTL")"
  case ":$PATH:" in *":$_tgctl_dir:"*) ;; *) PATH="$_tgctl_dir:$PATH" ;; esac
  export PATH TGCTL
  # A stable place for the cleanup step, which may run in a new shell (GitLab after_script).
  _tgctl_link="${TGCTL_INSTALL_DIR:-${HOME:-/tmp}/.tgctl}/bin"
  if mkdir -p "$_tgctl_link" 2>/dev/null && [ "$TGCTL" != "$_tgctl_link/tgctl" ]; then
    ln -sf "$TGCTL" "$_tgctl_link/tgctl" 2>/dev/null || true
  fi
  if [ -n "${BASH_ENV:-}" ]; then
    # shellcheck disable=SC2016 # $PATH is for the later step to expand
    printf 'export PATH="%s:$PATH"\nexport TGCTL="%s"\n' "$_tgctl_dir" "$TGCTL" >>"$BASH_ENV"
  fi
}

# Not run when sourced by the bats tests.
if [ "${TGCTL_SOURCED_FOR_TESTS:-}" != 1 ]; then
  tgctl_install_main
fi

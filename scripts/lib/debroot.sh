#!/usr/bin/env bash
# A clean Debian root for the install path's end-to-end tests: made once from Debian's packages
# with mmdebstrap (minbase: no curl, no gpg, no ca-certificates, no twingate, like a slim
# image), cached as a tarball, unpacked per test, and a job run inside it with chroot in a
# mount namespace of its own (so /proc and /dev are mounted there and vanish with it).
#
#   debroot.sh tarball          prints the cached tarball, making it first if needed (needs
#                               mmdebstrap and Debian's mirror once; about a minute)
#   debroot.sh unpack DIR       unpacks the tarball into DIR (empty or missing)
#   debroot.sh run DIR CMD...   runs CMD as root inside DIR, with a clean environment (PATH,
#                               HOME=/root, TERM) plus the variables named in DEBROOT_PASS
#                               (space-separated); the host's loopback is reachable (one network)
# Cache: ${TGCTL_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tgctl-tests}/debian-<suite>-minbase.tar
# Suite: DEBROOT_SUITE (default bookworm, the suite this machine and CI run).
set -euo pipefail

DEBROOT_SUITE="${DEBROOT_SUITE:-bookworm}"
DEBROOT_CACHE="${TGCTL_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tgctl-tests}"

debroot_die() { printf 'debroot: %s\n' "$*" >&2; exit 1; }

debroot_tarball() {
  local tar="$DEBROOT_CACHE/debian-$DEBROOT_SUITE-minbase.tar"
  if [ ! -f "$tar" ] || [ ! -s "$tar" ]; then
    command -v mmdebstrap >/dev/null || debroot_die "mmdebstrap is missing (scripts/install-test-tools.sh installs it)"
    mkdir -p "$DEBROOT_CACHE"
    printf 'debroot: making %s with mmdebstrap (once)\n' "$tar" >&2
    # An older run may have left a directory here (mmdebstrap picks its output format from the
    # name's extension, and "x.tar.tmp" meant a directory): the format is given, never guessed.
    rm -rf "$tar" "$tar.tmp"
    mmdebstrap --variant=minbase --format=tar --quiet "$DEBROOT_SUITE" "$tar.tmp" >&2
    mv "$tar.tmp" "$tar"
  fi
  echo "$tar"
}

debroot_unpack() {
  local dir="$1" tar
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then debroot_die "$dir is not empty"; fi
  tar="$(debroot_tarball)"
  mkdir -p "$dir"
  tar -xf "$tar" -C "$dir"
}

debroot_run() {
  local dir="$1"
  shift
  [ -x "$dir/bin/bash" ] || debroot_die "$dir is not an unpacked root"
  local envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C.UTF-8)
  local name
  for name in ${DEBROOT_PASS:-}; do
    if [ -n "${!name+x}" ]; then envs+=("$name=${!name}"); fi
  done
  # A mount namespace of its own: /proc, /dev and /dev/pts mounted for the job, gone after it.
  # shellcheck disable=SC2016 # expanded by the inner sh
  unshare --mount --propagation private --fork -- /bin/sh -c '
    set -e
    root="$1"; shift
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    exec chroot "$root" "$@"
  ' sh "$dir" /usr/bin/env -i "${envs[@]}" "$@"
}

case "${1:-}" in
  tarball) debroot_tarball ;;
  unpack) shift; debroot_unpack "$@" ;;
  run) shift; debroot_run "$@" ;;
  *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac

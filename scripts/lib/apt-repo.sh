#!/usr/bin/env bash
# A local, signed apt repository of the simulated Twingate client, and an apt state of a test's
# own, so the install path (`tgctl connect --install`, the wrappers) runs a real apt-get without
# the internet and without touching this machine's packages.
#
#   apt-repo.sh build OUT [VERSION...]   builds a twingate_<VERSION>_<arch>.deb of twingate-sim for
#                                        each VERSION (default: 2026.100.1000 2026.190.6704) with
#                                        dpkg-deb, and a repository in OUT/repo signed with a
#                                        throwaway gpg key (OUT/gnupg); prints KEY=value lines
#   apt-repo.sh root DIR                 an apt and dpkg state in DIR (lists, cache, sources,
#                                        dpkg database seeded from this machine's); packages
#                                        install under DIR; prints APT_CONFIG=DIR/etc/apt/apt.conf
#   apt-repo.sh selftest OUT             builds both, then installs from the repository with apt-get
#                                        as tgctl does, uncached and cached, and prints the times
# Needs BIN_DIR (with twingate-sim), dpkg-deb, apt-ftparchive (apt-utils) and gpg.
#
# The repository is laid out as Twingate's answers (what is true of the real one, and why):
#   gpg.key                       the armored signing key: Twingate's docs fetch
#                                 https://packages.twingate.com/apt/gpg.key and dearmor it
#   Packages, Release, InRelease  a flat repository at the root: the legacy line
#                                 `deb [trusted=yes] https://packages.twingate.com/apt/ /` reads it,
#                                 and Twingate's action parses .../apt/Packages for versions
#   dists/*/InRelease, dists/*/*/binary-<arch>/Packages
#                                 what apt fetches for the signed line Twingate documents,
#                                 `deb [signed-by=...] https://packages.twingate.com/apt/ * *`
#                                 (suite "*", component "*": apt asks for those paths literally)
#   pool/twingate_<version>_<arch>.deb
# (headless-and-ci-wrappers.md §1.1). The package installs /usr/bin/twingate and /usr/sbin/twingated
# as the real one does (§1.2; here both are twingate-sim, which acts by the name it runs under).
set -euo pipefail

APT_REPO_DEFAULT_VERSIONS=(2026.100.1000 2026.190.6704)

apt_repo_die() { printf 'apt-repo: %s\n' "$*" >&2; exit 1; }

apt_repo_deb() { # OUT VERSION ARCH -> path of the .deb
  local out="$1" version="$2" arch="$3" stage
  stage="$out/stage-$version"
  rm -rf "$stage"
  mkdir -p "$stage/DEBIAN" "$stage/usr/bin" "$stage/usr/sbin"
  cp "$BIN_DIR/twingate-sim" "$stage/usr/bin/twingate"
  chmod 755 "$stage/usr/bin/twingate"
  ln -s ../bin/twingate "$stage/usr/sbin/twingated"
  cat >"$stage/DEBIAN/control" <<EOF
Package: twingate
Version: $version
Architecture: $arch
Maintainer: tgctl tests <tests@tgctl.invalid>
Section: net
Priority: optional
Description: Twingate client (simulated, for tgctl's tests)
 twingate-sim installed as twingate and twingated.
EOF
  dpkg-deb --root-owner-group -Zgzip -b "$stage" "$out/repo/pool/twingate_${version}_${arch}.deb" >/dev/null
  rm -rf "$stage"
}

apt_repo_sign() { # GNUPGHOME DIR: Release -> InRelease, Release.gpg
  local gh="$1" dir="$2"
  GNUPGHOME="$gh" gpg --batch --yes --quiet --pinentry-mode loopback --passphrase '' \
    --clearsign -o "$dir/InRelease" "$dir/Release"
  GNUPGHOME="$gh" gpg --batch --yes --quiet --pinentry-mode loopback --passphrase '' \
    -abs -o "$dir/Release.gpg" "$dir/Release"
}

apt_repo_build() {
  local out="$1"
  shift
  local versions=("$@")
  [ "${#versions[@]}" -gt 0 ] || versions=("${APT_REPO_DEFAULT_VERSIONS[@]}")
  [ -x "${BIN_DIR:-}/twingate-sim" ] || apt_repo_die "BIN_DIR must hold twingate-sim (cargo build --workspace --bins)"
  for tool in dpkg-deb apt-ftparchive gpg; do
    command -v "$tool" >/dev/null || apt_repo_die "$tool is missing (scripts/install-test-tools.sh installs it)"
  done
  local arch repo gh
  arch="$(dpkg --print-architecture)"
  repo="$out/repo"
  gh="$out/gnupg"
  rm -rf "$repo" "$gh"
  mkdir -p "$repo/pool" "$gh"
  chmod 700 "$gh"
  for v in "${versions[@]}"; do apt_repo_deb "$out" "$v" "$arch"; done

  # A throwaway signing key, used for this repository only.
  GNUPGHOME="$gh" gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
    --quick-generate-key "tgctl test repository <tests@tgctl.invalid>" ed25519 sign never 2>/dev/null
  GNUPGHOME="$gh" gpg --batch --quiet --armor --export >"$repo/gpg.key"

  # Flat layout at the root
  (cd "$repo" && apt-ftparchive packages pool >Packages && gzip -kf Packages &&
    apt-ftparchive -o APT::FTPArchive::Release::Origin=Twingate -o APT::FTPArchive::Release::Label=Twingate \
      release . >Release.tmp && mv Release.tmp Release)
  apt_repo_sign "$gh" "$repo"

  # dists/*/: what apt fetches for `deb [...] URL * *`
  local dist="$repo/dists/*"
  mkdir -p "$dist/*/binary-$arch"
  (cd "$repo" && apt-ftparchive packages pool >"$dist/*/binary-$arch/Packages")
  gzip -kf "$dist/*/binary-$arch/Packages"
  (cd "$dist" && apt-ftparchive -o APT::FTPArchive::Release::Origin=Twingate \
    -o APT::FTPArchive::Release::Label=Twingate -o "APT::FTPArchive::Release::Architectures=$arch" \
    -o 'APT::FTPArchive::Release::Components=*' release . >../Release.tmp && mv ../Release.tmp Release)
  apt_repo_sign "$gh" "$dist"

  printf '%s=%q\n' APT_REPO_DIR "$repo" APT_REPO_URL "file:$repo/" APT_REPO_KEY "$repo/gpg.key" \
    APT_REPO_VERSIONS "${versions[*]}"
}

apt_repo_root() {
  local root="$1"
  if [ -e "$root/etc/apt/apt.conf" ]; then apt_repo_die "$root already has an apt state"; fi
  mkdir -p "$root/etc/apt/sources.list.d" "$root/etc/apt/preferences.d" "$root/etc/apt/apt.conf.d" \
    "$root/etc/apt/trusted.gpg.d" "$root/var/lib/apt/lists/partial" "$root/var/cache/apt/archives/partial" \
    "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers" "$root/var/log/apt" \
    "$root/usr/share/keyrings" "$root/usr/bin" "$root/usr/sbin" "$root/tmp"
  : >"$root/etc/apt/sources.list"
  # The packages this machine has count as installed (dependencies are met), but everything
  # apt and dpkg write goes under the root.
  [ -f "$root/var/lib/dpkg/status" ] || cp /var/lib/dpkg/status "$root/var/lib/dpkg/status"
  : >"$root/var/lib/dpkg/available"
  cat >"$root/etc/apt/apt.conf" <<EOF
// An apt state of this test's own (scripts/lib/apt-repo.sh).
Dir "$root/";
Dir::State::status "$root/var/lib/dpkg/status";
Dir::Etc::TrustedParts "$root/etc/apt/trusted.gpg.d";
Dir::Log "$root/var/log/apt";
DPkg::Options { "--root=$root"; "--force-script-chrootless"; "--force-not-root"; "--log=$root/var/log/dpkg.log"; };
DPkg::Path "/usr/sbin:/usr/bin:/sbin:/bin";
APT::Sandbox::User "root";
EOF
  printf '%s=%q\n' APT_CONFIG "$root/etc/apt/apt.conf"
}

# Installs twingate (VERSION, or the latest with "") from the repository into ROOT the way tgctl
# does: the key dearmored into a keyring, a list line signed-by it, update on that list alone.
# CACHE (optional) is where apt keeps downloaded packages (Dir::Cache::Archives): the directory
# the wrappers carry from job to job, so a second job downloads nothing.
apt_repo_install() { # ROOT REPO_URL KEY_FILE VERSION [CACHE]
  local root="$1" url="$2" key="$3" version="$4" cache="${5:-}" list keyring
  keyring="$root/usr/share/keyrings/twingate-client-keyring.gpg"
  list="$root/etc/apt/sources.list.d/twingate.list"
  local opts=()
  if [ -n "$cache" ]; then
    mkdir -p "$cache/partial"
    opts=(-o "Dir::Cache::Archives=$cache")
  fi
  gpg --batch --yes --dearmor -o "$keyring" <"$key"
  echo "deb [signed-by=$keyring] $url * *" >"$list"
  APT_CONFIG="$root/etc/apt/apt.conf" apt-get -qq update -o "Dir::Etc::sourcelist=$list" \
    -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0 2>&1 | grep -v '^W: Conflicting distribution' >&2 || true
  APT_CONFIG="$root/etc/apt/apt.conf" DEBIAN_FRONTEND=noninteractive apt-get -qq install -y \
    --no-install-recommends "${opts[@]}" "twingate${version:+=$version}" >/dev/null
}

apt_repo_version() { # ROOT -> the installed twingate's version
  dpkg-query --admindir="$1/var/lib/dpkg" -W -f '${Version}' twingate 2>/dev/null
}

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

apt_repo_selftest() {
  local out="$1" vars t latest oldest
  rm -rf "$out"/root-* "$out/cache"
  vars="$(apt_repo_build "$out")"
  eval "$vars"
  latest="${APT_REPO_VERSIONS##* }"
  oldest="${APT_REPO_VERSIONS%% *}"

  # 1. From the file: repository, the latest version; then a pinned one.
  apt_repo_root "$out/root-file" >/dev/null
  t="$(date +%s%N)"
  apt_repo_install "$out/root-file" "$APT_REPO_URL" "$APT_REPO_KEY" ""
  local file_ms
  file_ms="$(ms_since "$t")"
  if [ ! -x "$out/root-file/usr/bin/twingate" ] || [ ! -L "$out/root-file/usr/sbin/twingated" ]; then
    apt_repo_die "twingate is not installed under $out/root-file"
  fi
  [ "$(apt_repo_version "$out/root-file")" = "$latest" ] || apt_repo_die "latest: $(apt_repo_version "$out/root-file") installed, not $latest"
  apt_repo_root "$out/root-pinned" >/dev/null
  apt_repo_install "$out/root-pinned" "$APT_REPO_URL" "$APT_REPO_KEY" "$oldest"
  [ "$(apt_repo_version "$out/root-pinned")" = "$oldest" ] || apt_repo_die "pinned: $(apt_repo_version "$out/root-pinned") installed, not $oldest"

  # The signature is checked: a key that did not sign the repository installs nothing.
  local other="$out/gnupg-other"
  rm -rf "$other"
  mkdir -m 700 "$other"
  GNUPGHOME="$other" gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
    --quick-generate-key "not the repository's key <other@tgctl.invalid>" ed25519 sign never 2>/dev/null
  GNUPGHOME="$other" gpg --batch --quiet --armor --export >"$out/other.key"
  apt_repo_root "$out/root-wrong-key" >/dev/null
  if apt_repo_install "$out/root-wrong-key" "$APT_REPO_URL" "$out/other.key" "" 2>/dev/null; then
    apt_repo_die "apt installed from a repository signed by another key"
  fi
  [ -z "$(apt_repo_version "$out/root-wrong-key")" ] || apt_repo_die "twingate installed without a valid signature"

  # 2. The same repository over HTTP on loopback, with the wrappers' package cache: the first
  # job downloads the package into the cache, the second finds it there.
  python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$APT_REPO_DIR" >"$out/http.log" 2>&1 &
  local pid=$! port=""
  trap 'kill "$pid" 2>/dev/null || true' RETURN
  for _ in $(seq 1 100); do
    port="$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$out/http.log" | head -n 1)"
    [ -n "$port" ] && break
    sleep 0.05
  done
  rm -rf "$out/cache"
  apt_repo_root "$out/root-job1" >/dev/null
  t="$(date +%s%N)"
  apt_repo_install "$out/root-job1" "http://127.0.0.1:$port/" "$APT_REPO_KEY" "" "$out/cache"
  local uncached_ms
  uncached_ms="$(ms_since "$t")"
  [ "$(grep -c "GET /pool/twingate_${latest}_" "$out/http.log")" -eq 1 ] || apt_repo_die "job 1 did not download the package once"
  apt_repo_root "$out/root-job2" >/dev/null
  t="$(date +%s%N)"
  apt_repo_install "$out/root-job2" "http://127.0.0.1:$port/" "$APT_REPO_KEY" "" "$out/cache"
  local cached_ms
  cached_ms="$(ms_since "$t")"
  [ "$(grep -c "GET /pool/twingate_${latest}_" "$out/http.log")" -eq 1 ] || apt_repo_die "job 2 downloaded the package again"
  [ "$(apt_repo_version "$out/root-job2")" = "$latest" ] || apt_repo_die "job 2 did not install $latest"

  # This machine's own packages were not touched.
  if dpkg-query -W twingate >/dev/null 2>&1; then apt_repo_die "twingate was installed on this machine"; fi
  printf 'apt-repo: twingate %s installed with apt-get from the signed file: repository in %d ms; over HTTP in %d ms uncached, %d ms with the package cache; a pinned %s installs that version\n' \
    "$latest" "$file_ms" "$uncached_ms" "$cached_ms" "$oldest"
}

case "${1:-}" in
  build) shift; apt_repo_build "$@" ;;
  root) shift; apt_repo_root "$@" ;;
  selftest) shift; apt_repo_selftest "$@" ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac

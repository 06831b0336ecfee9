#!/usr/bin/env bash
# Installs whatever is missing to run and test Taquilla on a Debian 12 machine without Docker:
# Debian packages (PostgreSQL 15 server, Redis, Prometheus's promtool, Chromium, wrk), uv, the Python workspace
# and the npm dependencies. Safe to re-run: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
command -v psql >/dev/null || missing+=(postgresql-client-15)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v promtool >/dev/null || missing+=(prometheus)
command -v runuser >/dev/null || missing+=(util-linux)
[ -x /usr/bin/chromium ] || missing+=(chromium)  # browser tests drive Debian's chromium, never a downloaded one
command -v wrk >/dev/null || missing+=(wrk)  # HTTP load generator of `make bench`
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts these as system services; Taquilla runs its own instances on its own ports.
  for unit in redis-server prometheus postgresql; do
    $SUDO service "$unit" stop >/dev/null 2>&1 || true
  done
fi

if ! command -v uv >/dev/null && ! python3 -m uv --version >/dev/null 2>&1; then
  say "installing uv"
  python3 -m pip install --quiet --disable-pip-version-check 'uv>=0.9,<1'
fi
UV="$(command -v uv || echo 'python3 -m uv')"

say "Python workspace (uv sync --frozen)"
$UV sync --frozen --quiet

npm_install() {  # npm ci only when package-lock.json changed since the last install
  local dir="$1"
  [ -f "$dir/package-lock.json" ] || return 0
  local stamp="$dir/node_modules/.taquilla-lock.sha256"
  local sum; sum="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then return 0; fi
  say "npm dependencies in $dir (npm ci)"
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  echo "$sum" > "$stamp"
}
npm_install frontend
npm_install tools/docs
say "dependencies ready"

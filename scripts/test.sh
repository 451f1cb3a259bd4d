#!/usr/bin/env bash
# Install everything the tests need (Python deps, Node CLIs, Chromium, Redis, PostgreSQL,
# the web UI build)
# and run lint, types, import contracts, the web UI's unit tests and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
export CDK_DISABLE_VERSION_CHECK=1

scripts/bootstrap.sh dev

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if [ ! -x /usr/bin/chromium ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
# the self-hosted engine's tests start their own Redis and PostgreSQL on loopback
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # the packages may start system services; the tests use none of them
  for service in redis-server postgresql; do
    if command -v systemctl >/dev/null && systemctl is-active --quiet "$service" 2>/dev/null; then
      as_root systemctl stop "$service"
    fi
  done
fi

npm ci --no-audit --no-fund --loglevel=error
npm ci --prefix web --no-audit --no-fund --loglevel=error
npm run build --prefix web --silent
npm test --prefix web --silent

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports

.venv/bin/pytest "$@"

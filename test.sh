#!/usr/bin/env bash
# Runs the whole test suite. Does its own set-up: installs what the tests need when it is
# missing, then builds and tests every module with Maven on a JDK 25.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
. "$ROOT/scripts/find-jdk.sh"

if ! JDK="$(find_jdk)"; then
  echo "test.sh: no JDK 25 or newer found; install one and set JAVA_HOME" >&2
  exit 3
fi
export JAVA_HOME="$JDK"

need_apt=()
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
command -v sqlite3 >/dev/null 2>&1 || need_apt+=(sqlite3)
command -v bwrap >/dev/null 2>&1 || need_apt+=(bubblewrap)
command -v npm >/dev/null 2>&1 || need_apt+=(nodejs npm)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# The PostgreSQL store's tests start a throwaway server of their own (initdb, pg_ctl on loopback).
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "test.sh: installing ${need_apt[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# The MCP tests run the reference servers, A2aIT the A2A client (@a2a-js/sdk) and the dashboard's browser test playwright-core, pinned
# in .ci/npm/package-lock.json; (re)install them when they are missing or the lock file changed.
NPM_DIR="$ROOT/.ci/npm"
if ! cmp -s "$NPM_DIR/package-lock.json" "$NPM_DIR/node_modules/.myriad-installed-lock" 2>/dev/null; then
  echo "test.sh: installing the MCP reference servers, the A2A client and playwright-core into .ci/npm" >&2
  (cd "$NPM_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$NPM_DIR/package-lock.json" "$NPM_DIR/node_modules/.myriad-installed-lock"
fi

echo "test.sh: JDK $JAVA_HOME, $(mvn -v 2>/dev/null | head -1)" >&2
exec mvn -B -ntp verify "$@"

#!/usr/bin/env bash
# Installs the OAuth2 test server (oauth2-mock-server, pinned in package-lock.json) into
# tests/oauth/node_modules. Idempotent: does nothing when node_modules is newer than the
# lock file. Run by ctest as the oauth_npm_install fixture and by `make deps`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install.sh: '$tool' not found; the OAuth2 tests need Node.js 20+ and npm (Debian: apt-get install nodejs npm)" >&2
    exit 1
  fi
done

# npm ci writes node_modules/.package-lock.json last: it marks a complete install.
stamp=node_modules/.package-lock.json
up_to_date() { [ -f "$stamp" ] && [ ! package-lock.json -nt "$stamp" ] && [ -d node_modules/oauth2-mock-server ]; }

# Two runs at once (ctest -j, make deps) must not both rewrite node_modules.
exec 9>"${TMPDIR:-/tmp}/plugboard-oauth-install.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

if up_to_date; then
  echo "install.sh: tests/oauth/node_modules is up to date"
  exit 0
fi
echo "install.sh: installing tests/oauth (npm ci)"
npm ci --no-audit --no-fund
touch "$stamp"

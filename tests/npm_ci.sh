#!/usr/bin/env bash
# npm_ci.sh DIR PACKAGE: installs the npm tools a test needs into tests/DIR/node_modules,
# exactly as pinned in tests/DIR/package-lock.json (npm ci). Idempotent: does nothing when
# node_modules is newer than the lock file and holds PACKAGE. Run by ctest as a fixture
# (tests/CMakeLists.txt): oauth (oauth2-mock-server), openapi (Spectral and Ajv).
set -euo pipefail
dir="${1:?usage: npm_ci.sh DIR PACKAGE}"
package="${2:?usage: npm_ci.sh DIR PACKAGE}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/$dir"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "npm_ci.sh: '$tool' not found; tests/$dir needs Node.js 20+ and npm (Debian: apt-get install nodejs npm)" >&2
    exit 1
  fi
done

# npm ci writes node_modules/.package-lock.json last: it marks a complete install.
stamp=node_modules/.package-lock.json
up_to_date() { [ -f "$stamp" ] && [ ! package-lock.json -nt "$stamp" ] && [ -d "node_modules/$package" ]; }

# Two runs at once (ctest -j) must not both rewrite the same node_modules.
exec 9>"${TMPDIR:-/tmp}/plugboard-npm-$dir.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

if up_to_date; then
  echo "npm_ci.sh: tests/$dir/node_modules is up to date"
  exit 0
fi
echo "npm_ci.sh: installing tests/$dir (npm ci)"
# Spectral pulls in @scarf/scarf, whose install script would report the install home.
SCARF_ANALYTICS=false npm ci --no-audit --no-fund
touch "$stamp"

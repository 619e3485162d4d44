#!/usr/bin/env bash
# `make run`: a local server on 127.0.0.1 with SQLite in ./var and every bundled plugin,
# plus a first API key (created once and kept in var/first-api-key, mode 0600).
set -euo pipefail
build_dir=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/$build_dir/bin/plugboard"
export PLUGBOARD_DATA_DIR=${PLUGBOARD_DATA_DIR:-$root/var}
export PLUGBOARD_PLUGINS_DIR=${PLUGBOARD_PLUGINS_DIR:-$root/$build_dir/plugins}
export PLUGBOARD_HOST=${PLUGBOARD_HOST:-127.0.0.1}
export PLUGBOARD_PORT=${PLUGBOARD_PORT:-8080}
mkdir -p "$PLUGBOARD_DATA_DIR"

key_file="$PLUGBOARD_DATA_DIR/first-api-key"
if [ ! -s "$key_file" ]; then
  umask 077
  "$bin" keys create --workspace default --project default --name "first key" --json > "$key_file"
fi
info=$(cat "$key_file")
field() { printf '%s' "$info" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

cat <<MSG
Plugboard is starting on http://$PLUGBOARD_HOST:$PLUGBOARD_PORT
  API key:      $(field key)
  workspace_id: $(field workspace_id)
  project_id:   $(field project_id)
Try:  curl -s http://$PLUGBOARD_HOST:$PLUGBOARD_PORT/api/v2/catalog -H 'X-API-Key: $(field key)'
MSG
exec "$bin" serve

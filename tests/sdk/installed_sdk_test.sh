#!/usr/bin/env bash
# Builds examples/hello-plugin as a third party would — against the *installed* SDK only —
# checks it with `plugboard plugins check`, loads it into a running server and executes it.
set -euo pipefail
build_dir=$1 source_dir=$2 plugboard=$3
work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
# Only the installed prefix is visible to the example: no source or build tree paths.
cmake -S "$source_dir/examples/hello-plugin" -B "$work/hello" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/hello" -j2 >/dev/null
test -f "$work/hello/plugins/libplugboard_hello.so"
test -f "$work/hello/plugins/hello.yaml"

"$plugboard" plugins check "$work/hello/plugins/hello.yaml"

export PLUGBOARD_DATA_DIR=$work/data PLUGBOARD_PLUGINS_DIR=$work/hello/plugins PLUGBOARD_PORT=0 PLUGBOARD_LOG_LEVEL=warn
ids=$("$plugboard" keys create --workspace sdk --project sdk --name sdk --json)
get() { printf '%s' "$ids" | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
key=$(get key) ws=$(get workspace_id) proj=$(get project_id)
"$plugboard" serve > "$work/server.out" 2> "$work/server.err" &
server_pid=$!
for _ in $(seq 100); do grep -q listening "$work/server.out" 2>/dev/null && break; sleep 0.05; done
url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/server.out")
[ -n "$url" ] || { cat "$work/server.err"; exit 1; }

curl -sf "$url/api/integrations/" -H "X-API-Key: $key" | grep -q '"id":"hello"'
conn=$(curl -sf "$url/api/v2/connections" -H "X-API-Key: $key" \
  -d "{\"integration_id\":\"hello\",\"project_id\":\"$proj\"}" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
out=$(curl -s "$url/api/v2/execute" -H "X-API-Key: $key" \
  -d "{\"workspace_id\":\"$ws\",\"project_id\":\"$proj\",\"connection_id\":\"$conn\",\"action\":\"greet\",\"parameters\":{\"name\":\"Ada\",\"shout\":true}}")
echo "$out"
printf '%s' "$out" | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["success"] is True, r
assert r["data"] == {"greeting": "HELLO, ADA!"}, r
assert r["metadata"]["integration"] == "Hello" and r["metadata"]["action"] == "Greet", r'
out=$(curl -s "$url/api/v2/execute" -H "X-API-Key: $key" \
  -d "{\"workspace_id\":\"$ws\",\"project_id\":\"$proj\",\"connection_id\":\"$conn\",\"action\":\"greet\",\"parameters\":{\"name\":\"nobody\"}}")
printf '%s' "$out" | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)
assert r["success"] is False and r["error"]["code"] == "EXECUTION_FAILED", r
assert r["error"]["details"]["error_code"] == "NO_ONE_TO_GREET", r'
echo "installed SDK: example plugin built, checked, loaded and executed"

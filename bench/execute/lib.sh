# shellcheck shell=bash disable=SC2034  # sets variables for the script that sources it
# Shared setup for the execute benchmark scripts (sourced, not run). Everything listens on
# 127.0.0.1 and lives in one temporary directory; bench_cleanup (the EXIT trap) stops every
# process started here and removes the directory.
#
# After bench_setup BUILD_DIR [SERVER_PREFIX...]:
#   $tmp       the temporary directory
#   $upstream  http://127.0.0.1:PORT of the nginx stand-in for Slack (paths under /api/)
#   $server    http://127.0.0.1:PORT of plugboard serve; $server_pid its pid
#   $key $ws $project $conn_id
#   $tmp/execute.json  the execute envelope; $tmp/direct.json  the chat.postMessage body
# SERVER_PREFIX (e.g. valgrind --tool=callgrind ...) is put in front of `plugboard serve`.

bench_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bench_pids=()
bench_remove=()  # more paths for bench_cleanup to remove

die() { echo "bench: $*" >&2; exit 1; }

bench_cleanup() {
  local status=$?
  local pid
  for pid in "${bench_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${bench_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -n "${tmp:-}" ] && rm -rf "$tmp"
  [ ${#bench_remove[@]} -eq 0 ] || rm -rf "${bench_remove[@]}"
  exit "$status"
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() {  # url what [seconds]: waits for any HTTP answer
  local i
  for i in $(seq 1 $((${3:-10} * 10))); do
    if curl -s -o /dev/null --max-time 1 "$1"; then return 0; fi
    sleep 0.1
  done
  die "$2 did not answer at $1"
}

# nginx as a non-daemon child with its own prefix; $1 names it, $2 is the port, $3 the
# body of the http {} block's server {}.
start_nginx() {
  local name=$1 port=$2 server_body=$3 dir="$tmp/$1"
  mkdir -p "$dir/logs" "$dir/tmp"
  cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
$server_body
}
EOF
  "$nginx_bin" -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" >"$dir/logs/stdout.log" 2>&1 &
  bench_pids+=($!)
  wait_http "http://127.0.0.1:$port/" "nginx $name (log: $dir/logs/error.log)"
}

start_upstream() {
  local port
  port=$(free_port)
  start_nginx upstream "$port" "
  server {
    listen 127.0.0.1:$port;
    location = /api/chat.postMessage {
      default_type application/json;
      return 200 '{\"ok\":true,\"channel\":\"C0000000001\",\"ts\":\"1700000000.000100\",\"message\":{\"text\":\"hello\"}}';
    }
    location = /api/auth.test {
      default_type application/json;
      return 200 '{\"ok\":true,\"url\":\"https://x.slack.com/\",\"team\":\"X\",\"user\":\"bot\",\"team_id\":\"T1\",\"user_id\":\"U1\"}';
    }
    location / { return 404; }
  }"
  upstream="http://127.0.0.1:$port"
}

# A reference point: nginx itself as a reverse proxy to the upstream, kept-alive upstream
# connections. Sets $proxy.
start_proxy() {
  local port
  port=$(free_port)
  start_nginx proxy "$port" "
  upstream slack { server ${upstream#http://}; keepalive 128; }
  server {
    listen 127.0.0.1:$port;
    location /api/ {
      proxy_pass http://slack;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_buffering off;
    }
    location = / { return 404; }
  }"
  proxy="http://127.0.0.1:$port"
}

bench_setup() {
  local build=$1
  shift
  for tool in wrk curl jq; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  [ -x "$nginx_bin" ] || die "nginx is not installed"
  [ -x "$build/bin/plugboard" ] \
    || die "$build/bin/plugboard is missing (cmake --build $build --target plugboard plugboard_plugin_slack -j2)"
  if [ ! -f "$build/plugins/libplugboard_slack.so" ] || [ ! -f "$build/plugins/slack.yaml" ]; then die "the Slack plugin is not built in $build/plugins (cmake --build $build --target plugboard_plugin_slack -j2)"; fi

  tmp=$(mktemp -d "${TMPDIR:-/tmp}/plugboard-bench.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM

  start_upstream

  export PLUGBOARD_DATA_DIR="$tmp/data" PLUGBOARD_PLUGINS_DIR="$build/plugins"
  export PLUGBOARD_PROVIDER_SLACK_BASE_URL="$upstream/api" PLUGBOARD_LOG_LEVEL=warn
  export PLUGBOARD_HOST=127.0.0.1 PLUGBOARD_PORT=0
  unset PLUGBOARD_CONFIG PLUGBOARD_DATABASE_URL
  # BENCH_DATABASE_URL (e.g. a private PostgreSQL cluster's) replaces SQLite in the data dir.
  [ -z "${BENCH_DATABASE_URL:-}" ] || export PLUGBOARD_DATABASE_URL="$BENCH_DATABASE_URL"
  mkdir -p "$PLUGBOARD_DATA_DIR"
  local ids
  ids=$("$build/bin/plugboard" keys create --workspace bench --project bench --name bench --json) \
    || die "keys create failed"
  key=$(jq -r .key <<<"$ids")
  ws=$(jq -r .workspace_id <<<"$ids")
  project=$(jq -r .project_id <<<"$ids")

  : >"$tmp/serve.out"  # before the child opens it, so the poll below can read it at once
  "$@" "$build/bin/plugboard" serve >>"$tmp/serve.out" 2>"$tmp/serve.err" &
  server_pid=$!
  bench_pids+=("$server_pid")
  server=""
  for _ in $(seq 1 600); do  # up to 60 s: under valgrind the start is slow
    server=$(sed -n 's|^plugboard listening on \(http://[^ ]*\).*|\1|p' "$tmp/serve.out" | head -n1)
    [ -n "$server" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/serve.err" >&2; die "the server exited"; }
    sleep 0.1
  done
  [ -n "$server" ] || { cat "$tmp/serve.err" >&2; die "the server did not print its URL"; }

  local conn
  conn=$(curl -sS --fail-with-body -X POST "$server/api/v2/connections" \
    -H "X-API-Key: $key" -H 'Content-Type: application/json' \
    -d "{\"integration_id\":\"slack\",\"project_id\":\"$project\",\"auth_type\":\"bearer\",\"credentials\":{\"token\":\"xoxb-bench\"}}") \
    || die "creating the connection failed: $conn"
  conn_id=$(jq -r .id <<<"$conn")
  if [ -z "$conn_id" ] || [ "$conn_id" = null ]; then die "no connection id in: $conn"; fi

  printf '{"workspace_id":"%s","project_id":"%s","connection_id":"%s","action":"send-message","parameters":{"channel":"C0000000001","text":"hello"}}' \
    "$ws" "$project" "$conn_id" >"$tmp/execute.json"
  printf '{"channel":"C0000000001","text":"hello"}' >"$tmp/direct.json"

  # Sanity: the execute really went through the plugin to nginx and back.
  local out
  out=$(curl -sS --fail-with-body -X POST "$server/api/v2/execute" -H "X-API-Key: $key" \
    -H 'Content-Type: application/json' --data-binary @"$tmp/execute.json") \
    || die "execute failed: $out"
  jq -e '.success == true and ([.. | objects | select(has("permalink")) | .permalink | test("slack.com")] | any)' \
    >/dev/null <<<"$out" || die "execute did not return the upstream's message and permalink: $out"
  out=$(curl -sS --fail-with-body -X POST "$upstream/api/chat.postMessage" \
    -H 'Authorization: Bearer xoxb-bench' -H 'Content-Type: application/json' \
    --data-binary @"$tmp/direct.json") || die "direct call failed: $out"
}

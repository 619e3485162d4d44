-- wrk script: POST a fixed JSON body, count non-2xx responses, and print exact figures.
-- Environment: BENCH_BODY_FILE (the body), BENCH_API_KEY (sent as X-API-Key when set),
-- BENCH_AUTH (sent as Authorization when set).
-- The `done` line is what bench/execute/run parses:
--   RESULT requests=N rps=R p50_ms=A p99_ms=B bad=K errors=E
-- where bad counts responses that were not 2xx, and errors counts socket errors and timeouts.

local function read_file(path)
  local f = assert(io.open(path, "rb"), "cannot open " .. tostring(path))
  local s = f:read("*a")
  f:close()
  return s
end

wrk.method = "POST"
wrk.body = read_file(os.getenv("BENCH_BODY_FILE"))
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("BENCH_API_KEY")
if key and key ~= "" then wrk.headers["X-API-Key"] = key end
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end

-- Each wrk thread has its own Lua state; `bad` is collected from them in done().
local threads = {}
bad = 0
first_bad = nil

function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    if first_bad == nil then first_bad = tostring(status) .. " " .. string.sub(body or "", 1, 300) end
  end
end

function done(summary, latency, requests)
  local total_bad, sample = 0, nil
  for _, t in ipairs(threads) do
    total_bad = total_bad + (t:get("bad") or 0)
    sample = sample or t:get("first_bad")
  end
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT requests=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f bad=%d errors=%d\n",
    summary.requests, summary.requests / secs,
    latency:percentile(50) / 1000.0, latency:percentile(99) / 1000.0, total_bad, errors))
  if sample then io.write("FIRST_BAD " .. sample .. "\n") end
end

// Per-call cost of process isolation: the same plugin (tests/plugins/echo) and the same action,
// loaded in process and run by plugboard-plugin-host, measured in one run, one after the other.
//   echo    no I/O and no host callback: the bare cost of a call crossing the socket
//   whoami  two host callbacks (call_info, credentials): each one a round trip back to the runtime
//   fetch   one GET through the host HTTP client to a local provider stand-in (a kept-alive
//           Poco server in this process): the shape of a real action, where the ratio matters
// Calls go straight to the plugin table (no HTTP server), so the difference is isolation only.
//
// Usage: isolation_bench TEST_PLUGIN_DIR PLUGIN_HOST [SECONDS_PER_ROW]
#include "execute/call.hpp"
#include "isolation/process_plugin.hpp"
#include "plugins/loader.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

using namespace plugboard;
using Clock = std::chrono::steady_clock;

namespace {

void append(void* ctx, const char* data, std::size_t len) {
  static_cast<std::string*>(ctx)->append(data, len);
}

// The provider stand-in: answers every request with a small JSON body.
class OkHandler : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& resp) override {
    resp.setContentType("application/json");
    resp.setContentLength(11);
    resp.send() << R"({"ok":true})";
  }
};
class OkFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new OkHandler;
  }
};

struct Row {
  double calls_per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
};

// Calls `action` from `threads` threads for `seconds`; every call's latency is kept.
Row measure(const plugins::LoadedPlugin& p, const std::string& action, const std::string& params,
            net::HttpClient& http, int threads, double seconds) {
  const boost::json::object creds{{"token", "bench-token"}};
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(threads));
  std::atomic<bool> failed{false};
  const auto until = Clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      std::string out;
      out.reserve(1024);
      while (Clock::now() < until) {
        pb_call call;
        call.manifest = &p.manifest;
        call.request_id = "req_bench";
        call.action = action;
        call.credentials = &creds;
        call.http = &http;
        call.deadline = Clock::now() + std::chrono::seconds(5);
        out.clear();
        pb_writer w{&out, &append};
        const auto t0 = Clock::now();
        const int32_t st =
            p.api->invoke_action(&call, action.data(), action.size(), params.data(), params.size(), &w);
        lat[static_cast<std::size_t>(t)].push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        if (st != PB_OK) failed = true;
      }
    });
  for (auto& th : pool) th.join();
  if (failed) {
    std::fprintf(stderr, "a call to %s failed\n", action.c_str());
    std::exit(1);
  }
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  Row r;
  r.calls_per_s = static_cast<double>(all.size()) / seconds;
  r.p50_us = all[all.size() / 2];
  r.p99_us = all[all.size() * 99 / 100];
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s TEST_PLUGIN_DIR PLUGIN_HOST [SECONDS_PER_ROW]\n", argv[0]);
    return 64;
  }
  const std::filesystem::path manifest = std::filesystem::path(argv[1]) / "echo" / "echo.yaml";
  const double seconds = argc > 3 ? std::atof(argv[3]) : 3.0;
  isolation::IsolationOptions o;
  o.host_binary = argv[2];
  auto in_process = plugins::Loader(execute::host_api()).load(manifest);
  auto isolated = isolation::open_isolated(plugins::parse_manifest(manifest), execute::host_api(), o);
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(8);
  Poco::Net::HTTPServer provider(new OkFactory,
                                 Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0)), params);
  provider.start();
  const std::string url = "http://127.0.0.1:" + std::to_string(provider.port()) + "/ok";
  net::HttpClient http;

  std::printf("%-8s %-8s %-11s %12s %10s %10s\n", "action", "threads", "mode", "calls/s", "p50 us", "p99 us");
  const std::pair<const char*, std::string> actions[] = {
      {"echo", R"({"message":"hello"})"}, {"whoami", "{}"}, {"fetch", R"({"url":")" + url + R"("})"}};
  for (const auto& [action, args] : actions)
    for (int threads : {1, 4}) {
      measure(*in_process, action, args, http, threads, 0.3);  // warm-up: thread pools, allocator, caches
      measure(*isolated, action, args, http, threads, 0.3);
      const Row a = measure(*in_process, action, args, http, threads, seconds);
      const Row b = measure(*isolated, action, args, http, threads, seconds);
      std::printf("%-8s %-8d %-11s %12.0f %10.1f %10.1f\n", action, threads, "in-process", a.calls_per_s,
                  a.p50_us, a.p99_us);
      std::printf("%-8s %-8d %-11s %12.0f %10.1f %10.1f\n", action, threads, "isolated", b.calls_per_s,
                  b.p50_us, b.p99_us);
      std::printf("%-8s %-8d %-11s %11.4fx %+9.1f %+9.1f   (isolated / in-process; p50/p99 added)\n", action,
                  threads, "ratio", b.calls_per_s / a.calls_per_s, b.p50_us - a.p50_us, b.p99_us - a.p99_us);
    }
  provider.stop();
  return 0;
}

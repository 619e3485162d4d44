// A well-behaved plugin for tests: each action exercises one path of the host.
#include <plugboard/sdk.hpp>

#include <thread>

namespace {

plugboard::Plugin make_echo() {
  plugboard::Plugin p("echo");
  p.action("echo", [](plugboard::Context&, const plugboard::json::object& params) {
    return plugboard::json::value(params);
  });
  p.action("fail", [](plugboard::Context&, const plugboard::json::object&) -> plugboard::json::value {
    throw plugboard::ActionError{"ECHO_FAILED", "failed on purpose", {{"retryable", false}}};
  });
  p.action("throw", [](plugboard::Context&, const plugboard::json::object&) -> plugboard::json::value {
    throw std::runtime_error("an ordinary C++ exception");
  });
  // Loops until the host says the deadline has passed, as a long-running action should.
  p.action("slow", [](plugboard::Context& ctx, const plugboard::json::object&) -> plugboard::json::value {
    while (!ctx.cancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    throw plugboard::ActionError{"CANCELLED", "stopped at the deadline"};
  });
  // Fetches a URL through the host client and returns what came back.
  p.action("fetch", [](plugboard::Context& ctx, const plugboard::json::object& params) {
    plugboard::HttpRequest req;
    req.url = std::string(params.at("url").as_string());
    auto resp = ctx.http(req);
    return plugboard::json::value{{"status", resp.status}, {"body", resp.body}};
  });
  p.action("whoami", [](plugboard::Context& ctx, const plugboard::json::object&) {
    auto info = ctx.call_info();
    const auto creds = ctx.credentials();
    info["has_credentials"] = !creds.empty();
    plugboard::json::array names;  // names only: a plugin must never echo secret values
    for (const auto& kv : creds) names.emplace_back(kv.key());
    info["credential_fields"] = std::move(names);
    return plugboard::json::value(info);
  });
  p.test_connection([](plugboard::Context&) {
    return plugboard::json::object{{"user_info", {{"name", "echo"}}}};
  });
  return p;
}

}  // namespace

PLUGBOARD_PLUGIN(make_echo)

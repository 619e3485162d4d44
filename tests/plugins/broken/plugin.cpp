// A deliberately broken plugin for the process-isolation tests: each action fails the way a
// real plugin bug does. Run it only with `isolation: process`; in process it takes the server
// down with it (which is the point of isolating it).
#include <plugboard/sdk.hpp>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

plugboard::Plugin make_broken() {
  plugboard::Plugin p("broken");
  // The healthy action: proves the plugin works again after a restart.
  p.action("ok", [](plugboard::Context& ctx, const plugboard::json::object& params) {
    auto info = ctx.call_info();
    return plugboard::json::value{{"params", params}, {"request_id", info["request_id"]}};
  });
  p.action("segfault", [](plugboard::Context&, const plugboard::json::object&) -> plugboard::json::value {
    std::raise(SIGSEGV);  // what a null dereference ends in, without UB the compiler may remove
    return nullptr;
  });
  p.action("abort", [](plugboard::Context&, const plugboard::json::object&) -> plugboard::json::value {
    std::abort();
  });
  // Allocates and touches memory without bound, as a leak does.
  p.action("leak", [](plugboard::Context&, const plugboard::json::object&) -> plugboard::json::value {
    static std::vector<char*> kept;
    for (;;) {
      char* chunk = new char[16 << 20];
      std::memset(chunk, 1, 16 << 20);
      kept.push_back(chunk);
    }
  });
  // Ignores cancellation and never returns.
  p.action("spin", [](plugboard::Context&, const plugboard::json::object&) -> plugboard::json::value {
    volatile unsigned long n = 0;
    for (;;) n = n + 1;
  });
  return p;
}

}  // namespace

PLUGBOARD_PLUGIN(make_broken)

// Built twice, as RELOAD_GENERATION 1 and 2, into libraries of the same name: the serving test
// swaps one for the other under a running server and tells by the answer which code ran.
#include <plugboard/sdk.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

#ifndef RELOAD_GENERATION
#error "build with RELOAD_GENERATION=<n>"
#endif

namespace {

plugboard::Plugin make_reload() {
  plugboard::Plugin p("reload");
  // Waits `ms` milliseconds (at most 15 s, less if the deadline passes), then says which build ran.
  p.action("generation", [](plugboard::Context& ctx, const plugboard::json::object& params) {
    std::int64_t ms = 0;
    if (const auto* v = params.if_contains("ms"); v != nullptr && v->is_int64())
      ms = std::clamp<std::int64_t>(v->as_int64(), 0, 15000);
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < until && !ctx.cancelled())
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return plugboard::json::value{{"generation", RELOAD_GENERATION}};
  });
  return p;
}

}  // namespace

PLUGBOARD_PLUGIN(make_reload)

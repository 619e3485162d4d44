// Registers "alpha" and "gamma" while its manifest declares "alpha" and "beta".
#include <plugboard/sdk.hpp>

namespace {
plugboard::Plugin make() {
  plugboard::Plugin p("mismatch");
  auto ok = [](plugboard::Context&, const plugboard::json::object&) {
    return plugboard::json::value(nullptr);
  };
  p.action("alpha", ok).action("gamma", ok);
  return p;
}
}  // namespace

PLUGBOARD_PLUGIN(make)

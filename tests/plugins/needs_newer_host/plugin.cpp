// A plugin that needs services from a host minor this runtime does not have.
#include <plugboard/sdk.hpp>

namespace {
plugboard::Plugin make() {
  plugboard::Plugin p("needs_newer_host");
  p.min_host_minor(PLUGBOARD_ABI_MINOR + 1);
  p.action("ping", [](plugboard::Context&, const plugboard::json::object&) {
    return plugboard::json::value("pong");
  });
  return p;
}
}  // namespace

PLUGBOARD_PLUGIN(make)

// The smallest useful plugin: one action, one connection test.
#include <plugboard/sdk.hpp>

namespace {

namespace json = boost::json;

json::value greet(plugboard::Context& ctx, const json::object& params) {
  const std::string name(params.at("name").as_string());
  if (name == "nobody")
    throw plugboard::ActionError{"NO_ONE_TO_GREET", "cannot greet nobody", {{"name", name}}};
  ctx.info("greeting " + name);
  std::string greeting = "Hello, " + name + "!";
  if (const auto* shout = params.if_contains("shout"); shout != nullptr && shout->as_bool())
    for (auto& c : greeting) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return json::object{{"greeting", greeting}};
}

plugboard::Plugin make_hello() {
  plugboard::Plugin plugin("hello");
  plugin.action("greet", greet);
  plugin.test_connection([](plugboard::Context&) {
    return json::object{{"user_info", {{"name", "hello"}}}};
  });
  return plugin;
}

}  // namespace

PLUGBOARD_PLUGIN(make_hello)

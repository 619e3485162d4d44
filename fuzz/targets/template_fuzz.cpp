// The SDK's {{field}} templates, filled from a context. The input is a JSON array
// [template, context]: a template string (or any value holding strings) and a context object.
// Both come from API clients through plugins, so odd braces and paths must never crash.
#include <plugboard/sdk.hpp>
#include <plugboard/template.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  boost::system::error_code ec;
  auto v = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec || !v.is_array() || v.as_array().size() != 2 || !v.as_array()[1].is_object()) return 0;
  const auto& context = v.as_array()[1].as_object();
  const auto& tmpl = v.as_array()[0];
  for (bool allow_missing : {true, false}) {
    try {
      if (tmpl.is_string()) (void)plugboard::fill_template(tmpl.get_string(), context, allow_missing);
      (void)plugboard::fill_templates(tmpl, context, allow_missing);
    } catch (const plugboard::ActionError&) {  // a missing field, said so to the client
    }
  }
  return 0;
}

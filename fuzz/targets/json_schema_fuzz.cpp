// JSON Schema compilation and validation. The input is a JSON array [schema, instance]: the
// schema side stands for a manifest's parameters, the instance for an API client's body.
// Compilation may refuse a schema (SchemaCompileError); validation must never throw.
#include "plugins/json_schema.hpp"

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  boost::system::error_code ec;
  auto v = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec || !v.is_array() || v.as_array().size() != 2) return 0;
  const auto& pair = v.as_array();
  try {
    auto schema = plugboard::plugins::Schema::compile(pair[0]);
    (void)schema.validate(pair[1]);
    (void)schema.validate(pair[0]);  // a schema is also an instance: more shapes for free
  } catch (const plugboard::plugins::SchemaCompileError&) {
  }
  (void)plugboard::plugins::describe_json_type(pair[1]);
  return 0;
}

// A compiled subset of JSON Schema (see docs/manifest.md, "Supported JSON Schema").
// Schemas are compiled once when a manifest loads, so typos and bad keyword values are
// refused there; validate() then runs on the execute hot path and allocates nothing
// unless it has an error to report.
#pragma once

#include <boost/json/value.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace plugboard::plugins {

// Where in a schema compilation failed: path is the dotted keyword path
// ("properties.channel.type", "" for the schema itself).
struct SchemaError {
  std::string path;
  std::string message;
};

// Thrown by Schema::compile; what() is "path: message" (just the message at the root).
class SchemaCompileError : public std::runtime_error {
 public:
  explicit SchemaCompileError(SchemaError error);
  const SchemaError& error() const noexcept { return error_; }

 private:
  SchemaError error_;
};

// The first failure found in an instance.
struct ValidationError {
  std::string field;    // path of the failing value: "channel", "filters[1].columnName", "" = root
  std::string keyword;  // the keyword that failed: "required", "type", "maxLength", ...
  std::string message;  // human-readable; quoted values are truncated to ~64 characters
};

namespace detail {
struct CompiledSchema;
}

// Immutable and cheap to copy (shared); validate() is safe to call from many threads.
class Schema {
 public:
  // Throws SchemaCompileError naming the offending keyword, e.g.
  // "properties.channel.type: unknown type 'strin'".
  static Schema compile(const boost::json::value& schema);

  // std::nullopt when valid, else the first error. Order is deterministic: required
  // (declaration order), type, enum, const, numeric bounds, string length and pattern,
  // array size then items by index, properties in declaration order, then extra
  // properties (additionalProperties) in instance order.
  std::optional<ValidationError> validate(const boost::json::value& instance) const;

  // The schema as written, for the catalog.
  const boost::json::value& source() const;

 private:
  explicit Schema(std::shared_ptr<const detail::CompiledSchema> compiled);
  std::shared_ptr<const detail::CompiledSchema> compiled_;
};

// JSON Schema type name of a value: "object", "array", "string", "integer" (int64/uint64),
// "number" (double), "boolean" or "null".
std::string describe_json_type(const boost::json::value& value);

}  // namespace plugboard::plugins

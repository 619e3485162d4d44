// Reading action parameters in handlers. The host has validated them against the manifest's
// schema, so these supply defaults and guard against a host that did not: a wrong type is an
// ActionError INVALID_PARAMETERS naming the parameter, never a dereference. Header-only.
//
//   using namespace plugboard::params;
//   std::string channel = required_string(params, "channel");
//   std::int64_t limit = int_param(params, "limit", 100);
#pragma once

#include <plugboard/sdk.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace plugboard::params {

inline plugboard::ActionError invalid_parameter(std::string_view name, std::string_view why) {
  boost::json::object d;
  d["parameter"] = name;
  return {"INVALID_PARAMETERS", std::string(name) + " " + std::string(why), std::move(d)};
}

// The string parameter `name`, or `fallback` when it is absent or null.
inline std::string string_param(const boost::json::object& params, std::string_view name,
                                std::string fallback = {}) {
  const boost::json::value* v = params.if_contains(name);
  if (v == nullptr || v->is_null()) return fallback;
  if (!v->is_string()) throw invalid_parameter(name, "must be a string");
  return std::string(v->get_string());
}

inline bool bool_param(const boost::json::object& params, std::string_view name, bool fallback = false) {
  const boost::json::value* v = params.if_contains(name);
  if (v == nullptr || v->is_null()) return fallback;
  if (!v->is_bool()) throw invalid_parameter(name, "must be a boolean");
  return v->get_bool();
}

inline std::int64_t int_param(const boost::json::object& params, std::string_view name,
                              std::int64_t fallback) {
  const boost::json::value* v = params.if_contains(name);
  if (v == nullptr || v->is_null()) return fallback;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) {  // 100.0 is an integer to JSON Schema
    double d = v->get_double();
    if (std::fabs(d) < 1e15 && std::trunc(d) == d) return static_cast<std::int64_t>(d);
  }
  throw invalid_parameter(name, "must be an integer");
}

// The array parameter `name`, or nullptr when it is absent, null or empty.
inline const boost::json::array* array_param(const boost::json::object& params, std::string_view name) {
  const boost::json::value* v = params.if_contains(name);
  if (v == nullptr || v->is_null()) return nullptr;
  if (!v->is_array()) throw invalid_parameter(name, "must be an array");
  return v->get_array().empty() ? nullptr : &v->get_array();
}

// The array parameter `name`; throws when it is absent, null or empty.
inline const boost::json::array& required_array(const boost::json::object& params, std::string_view name) {
  const boost::json::value* v = params.if_contains(name);
  if (v == nullptr || v->is_null()) throw invalid_parameter(name, "is required");
  if (!v->is_array()) throw invalid_parameter(name, "must be an array");
  if (v->get_array().empty()) throw invalid_parameter(name, "must not be empty");
  return v->get_array();
}

// A required, non-empty string parameter.
inline std::string required_string(const boost::json::object& params, std::string_view name) {
  std::string s = string_param(params, name);
  if (s.empty()) throw invalid_parameter(name, "is required");
  return s;
}

}  // namespace plugboard::params

#include "plugins/sample_params.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <optional>

namespace plugboard::plugins {
namespace {

namespace json = boost::json;

// Samples stay small whatever a schema asks for: a larger minLength or minItems is a guess.
constexpr std::size_t kMaxSampleSize = 4096;

const json::value* field(const json::object& s, std::string_view key) { return s.if_contains(key); }

std::optional<double> number(const json::object& s, std::string_view key) {
  const auto* v = field(s, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  if (v->is_double()) return v->get_double();
  return std::nullopt;
}

std::optional<std::size_t> count(const json::object& s, std::string_view key) {
  auto n = number(s, key);
  if (!n || !(*n >= 0)) return std::nullopt;
  // Clamped before the cast, which is undefined for values out of range.
  return static_cast<std::size_t>(std::min(*n, 1e15));
}

// The schema's type, or the first non-null one of a list; inferred from keywords when absent.
std::string type_of(const json::object& s) {
  if (const auto* t = field(s, "type")) {
    if (t->is_string()) return std::string(t->get_string());
    if (t->is_array()) {
      std::string first;
      for (const auto& x : t->get_array()) {
        if (!x.is_string()) continue;
        if (first.empty()) first = x.get_string();
        if (x.get_string() != "null") return std::string(x.get_string());
      }
      return first;
    }
  }
  if (field(s, "properties") || field(s, "required")) return "object";
  if (field(s, "items")) return "array";
  if (field(s, "minimum") || field(s, "maximum")) return "number";
  return "string";
}

std::string format_sample(std::string_view format) {
  if (format == "date-time") return "2024-01-02T03:04:05Z";
  if (format == "date") return "2024-01-02";
  if (format == "time") return "03:04:05Z";
  if (format == "email") return "user@example.com";
  if (format == "uri" || format == "url" || format == "uri-reference") return "https://example.com/";
  if (format == "uuid") return "123e4567-e89b-12d3-a456-426614174000";
  if (format == "hostname") return "example.com";
  if (format == "ipv4") return "192.0.2.1";
  if (format == "ipv6") return "2001:db8::1";
  return "sample";
}

json::value string_sample(const json::object& s, const std::string& path, std::vector<std::string>& guesses) {
  const auto* f = field(s, "format");
  std::string out = format_sample(f != nullptr && f->is_string() ? std::string_view(f->get_string()) : "");
  if (auto min = count(s, "minLength"); min && out.size() < *min) {
    if (*min > kMaxSampleSize)
      guesses.push_back((path.empty() ? "(root)" : path) + ": minLength too large to sample");
    out.append(std::min(*min, kMaxSampleSize) - out.size(), 'x');
  }
  if (auto max = count(s, "maxLength"); max && out.size() > *max) out.resize(*max);
  if (field(s, "pattern") != nullptr)
    guesses.push_back((path.empty() ? "(root)" : path) + ": has a pattern and no examples; add `examples`");
  return json::value(out);
}

// A value inside [minimum, maximum], honouring the exclusive bounds.
json::value number_sample(const json::object& s, bool integer) {
  std::optional<double> lo = number(s, "minimum"), hi = number(s, "maximum");
  const double step = integer ? 1.0 : 0.5;
  if (auto x = number(s, "exclusiveMinimum")) lo = lo ? std::max(*lo, *x + step) : *x + step;
  if (auto x = number(s, "exclusiveMaximum")) hi = hi ? std::min(*hi, *x - step) : *x - step;
  double v = integer ? 1.0 : 1.5;
  if (lo && hi)
    v = integer ? std::ceil(*lo) : (*lo + *hi) / 2;
  else if (lo && v < *lo)
    v = integer ? std::ceil(*lo) : *lo;
  else if (hi && v > *hi)
    v = integer ? std::floor(*hi) : *hi;
  if (integer) return json::value(static_cast<std::int64_t>(std::clamp(v, -9e18, 9e18)));
  return json::value(v);
}

json::value generate(const json::value& schema, const std::string& path, std::vector<std::string>& guesses);

json::value object_sample(const json::object& s, const std::string& path, std::vector<std::string>& guesses) {
  json::object out;
  std::vector<std::string> required;
  if (const auto* r = field(s, "required"); r != nullptr && r->is_array())
    for (const auto& x : r->get_array())
      if (x.is_string()) required.emplace_back(x.get_string());
  const auto is_required = [&](std::string_view k) {
    return std::find(required.begin(), required.end(), k) != required.end();
  };
  const auto* props = field(s, "properties");
  if (props != nullptr && props->is_object()) {
    for (const auto& [key, sub] : props->get_object()) {
      const std::string sub_path = path.empty() ? std::string(key) : path + "." + std::string(key);
      std::vector<std::string> sub_guesses;
      json::value v = generate(sub, sub_path, sub_guesses);
      // An optional property the generator is unsure of is left out rather than risked.
      if (!is_required(key) && !sub_guesses.empty()) continue;
      guesses.insert(guesses.end(), sub_guesses.begin(), sub_guesses.end());
      out[key] = std::move(v);
    }
  }
  for (const auto& name : required) {
    if (out.contains(name)) continue;
    guesses.push_back((path.empty() ? "" : path + ".") + name + ": required but not under properties");
    out[name] = "sample";
  }
  return out;
}

json::value array_sample(const json::object& s, const std::string& path, std::vector<std::string>& guesses) {
  json::array out;
  std::size_t n = std::max<std::size_t>(count(s, "minItems").value_or(0), 1);
  if (n > kMaxSampleSize) {
    guesses.push_back((path.empty() ? "(root)" : path) + ": minItems too large to sample");
    n = kMaxSampleSize;
  }
  if (auto max = count(s, "maxItems")) n = std::min(n, *max);
  if (n == 0) return out;
  // One item, repeated: the supported subset has no uniqueItems, and one guess is enough.
  const auto* items = field(s, "items");
  const json::value item = items != nullptr ? generate(*items, path + "[0]", guesses) : json::value("sample");
  for (std::size_t i = 0; i < n; ++i) out.push_back(item);
  return out;
}

json::value generate(const json::value& schema, const std::string& path, std::vector<std::string>& guesses) {
  if (schema.is_bool()) return json::value("sample");  // `true` accepts anything
  if (!schema.is_object()) {
    guesses.push_back((path.empty() ? "(root)" : path) + ": schema is not an object");
    return nullptr;
  }
  const auto& s = schema.get_object();
  if (const auto* c = field(s, "const")) return *c;
  if (const auto* e = field(s, "examples"); e != nullptr && e->is_array() && !e->get_array().empty())
    return e->get_array().front();
  if (const auto* d = field(s, "default")) return *d;
  if (const auto* e = field(s, "enum"); e != nullptr && e->is_array() && !e->get_array().empty())
    return e->get_array().front();
  const std::string type = type_of(s);
  if (type == "object") return object_sample(s, path, guesses);
  if (type == "array") return array_sample(s, path, guesses);
  if (type == "integer") return number_sample(s, true);
  if (type == "number") return number_sample(s, false);
  if (type == "boolean") return json::value(true);
  if (type == "null") return nullptr;
  return string_sample(s, path, guesses);
}

// A value of a type the property schema does not allow, if one is easy to name.
std::optional<json::value> wrong_type(const json::object& s) {
  const auto* t = field(s, "type");
  if (t == nullptr || !t->is_string()) return std::nullopt;
  const auto type = t->get_string();
  if (type == "string") return json::value(12345);
  if (type == "integer" || type == "number" || type == "boolean")
    return json::value("not-a-" + std::string(type));
  if (type == "object" || type == "array") return json::value("not-an-" + std::string(type));
  return std::nullopt;
}

}  // namespace

Sample sample_value(const json::value& schema) {
  Sample out;
  out.value = generate(schema, "", out.guesses);
  return out;
}

std::vector<InvalidVariant> invalid_variants(const json::value& schema, const json::value& sample) {
  std::vector<InvalidVariant> out;
  if (!schema.is_object() || !sample.is_object()) return out;
  const auto& s = schema.get_object();
  if (const auto* r = field(s, "required"); r != nullptr && r->is_array()) {
    for (const auto& name : r->get_array()) {
      if (!name.is_string()) continue;
      json::object v = sample.get_object();
      v.erase(name.get_string());
      out.push_back({"missing required field '" + std::string(name.get_string()) + "'", std::move(v)});
    }
  }
  if (const auto* props = field(s, "properties"); props != nullptr && props->is_object()) {
    for (const auto& [key, sub] : props->get_object()) {
      if (!sub.is_object() || !sample.get_object().contains(key)) continue;
      auto bad = wrong_type(sub.get_object());
      if (!bad) continue;
      json::object v = sample.get_object();
      v[key] = std::move(*bad);
      out.push_back({"field '" + std::string(key) + "' of the wrong type", std::move(v)});
      break;
    }
  }
  if (const auto* ap = field(s, "additionalProperties"); ap != nullptr && ap->is_bool() && !ap->get_bool()) {
    json::object v = sample.get_object();
    v["plugboard_check_unknown_field"] = true;
    out.push_back(
        {"unknown field 'plugboard_check_unknown_field' (additionalProperties: false)", std::move(v)});
  }
  return out;
}

}  // namespace plugboard::plugins

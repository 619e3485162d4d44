#include "events/automation_rules.hpp"

#include "store/iso_time.hpp"

#include <plugboard/template.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

namespace plugboard::events {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxConditions = 50;
constexpr std::size_t kMaxMappings = 100;
constexpr std::size_t kMaxPath = 200;
constexpr std::array<std::string_view, 4> kOperators = {"equals", "contains", "greater_than", "less_than"};
constexpr std::array<std::string_view, 4> kTransforms = {"none", "uppercase", "lowercase", "date"};

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& names, std::string_view s) {
  return std::find(names.begin(), names.end(), s) != names.end();
}

std::string at(std::string_view list, std::size_t i, std::string_view field) {
  return std::string(list) + "[" + std::to_string(i) + "]." + std::string(field);
}

const json::object& element(const json::value& v, std::string_view list, std::size_t i) {
  if (!v.is_object()) throw RuleError(std::string(list) + "[" + std::to_string(i) + "]", "must be an object");
  return v.get_object();
}

// A required dotted path: non-empty, bounded, no empty segments.
std::string path_field(const json::object& o, const char* name, const std::string& where) {
  const auto* v = o.if_contains(name);
  if (v == nullptr || !v->is_string() || v->get_string().empty())
    throw RuleError(where, "is required (a field path)");
  std::string path(v->get_string());
  if (path.size() > kMaxPath) throw RuleError(where, "must be at most 200 characters");
  if (path.front() == '.' || path.back() == '.' || path.find("..") != std::string::npos)
    throw RuleError(where, "must be a dotted path such as data.priority");
  return path;
}

const json::value* walk(const json::object& root, std::string_view path) {
  const json::object* obj = &root;
  for (;;) {
    const auto dot = path.find('.');
    const json::value* v = obj->if_contains(path.substr(0, dot));
    if (v == nullptr || dot == std::string_view::npos) return v;
    if (!v->is_object()) return nullptr;
    obj = &v->get_object();
    path.remove_prefix(dot + 1);
  }
}

bool is_number(const json::value& v) { return v.is_int64() || v.is_uint64() || v.is_double(); }

bool same(const json::value& a, const json::value& b) {
  if (is_number(a) && is_number(b)) return json::value_to<double>(a) == json::value_to<double>(b);
  return a == b;
}

// <0, 0, >0; nullopt when the two cannot be ordered. Strings that are both timestamps compare
// as times, other strings by their bytes.
std::optional<int> order(const json::value& a, const json::value& b) {
  if (is_number(a) && is_number(b)) {
    const double x = json::value_to<double>(a), y = json::value_to<double>(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    const std::string x(a.get_string()), y(b.get_string());
    auto tx = store::parse_iso(x), ty = store::parse_iso(y);
    if (tx && ty) return *tx < *ty ? -1 : (*tx > *ty ? 1 : 0);
    return x.compare(y) < 0 ? -1 : (x == y ? 0 : 1);
  }
  return std::nullopt;
}

bool holds(const Condition& c, const json::value& field) {
  if (c.op == "equals") return same(field, c.value);
  if (c.op == "contains") {
    if (field.is_string() && c.value.is_string())
      return std::string_view(field.get_string()).find(std::string_view(c.value.get_string())) !=
             std::string_view::npos;
    if (field.is_array())
      return std::any_of(field.get_array().begin(), field.get_array().end(),
                         [&](const json::value& item) { return same(item, c.value); });
    return false;
  }
  auto o = order(field, c.value);
  if (!o) return false;
  return c.op == "greater_than" ? *o > 0 : *o < 0;
}

std::string as_date(const json::value& v) {
  if (is_number(v)) {
    double seconds = json::value_to<double>(v);
    if (std::fabs(seconds) > 1e11) seconds /= 1000;  // milliseconds since the epoch
    return store::to_iso(std::chrono::system_clock::from_time_t(static_cast<std::time_t>(seconds)));
  }
  if (v.is_string()) {
    std::string s(v.get_string());
    if (s.size() == 10) s += "T00:00:00Z";  // a date alone: midnight UTC
    if (auto t = store::parse_iso(s)) return store::to_iso(*t);
  }
  throw BuildError("MAPPING_TRANSFORM_FAILED", "value " + json::serialize(v) + " is not a date or timestamp");
}

json::value transformed(const Mapping& m, const json::value& v) {
  if (m.transform == "date") {
    try {
      return json::value(as_date(v));
    } catch (const BuildError& e) {
      throw BuildError(e.code, "mapping " + m.source + " -> " + m.target + ": " + e.what());
    }
  }
  if (!v.is_string() || m.transform == "none") return v;
  std::string s(v.get_string());
  const bool upper = m.transform == "uppercase";
  std::transform(s.begin(), s.end(), s.begin(), [upper](unsigned char c) {
    return static_cast<char>(upper ? std::toupper(c) : std::tolower(c));
  });
  return json::value(s);
}

void set_path(json::object& root, std::string_view path, json::value v) {
  json::object* obj = &root;
  for (auto dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.')) {
    json::value& next = (*obj)[path.substr(0, dot)];
    if (!next.is_object()) next = json::object{};
    obj = &next.get_object();
    path.remove_prefix(dot + 1);
  }
  (*obj)[path] = std::move(v);
}

}  // namespace

std::vector<Condition> parse_conditions(const json::value& v) {
  if (v.is_null()) return {};
  if (!v.is_array()) throw RuleError("conditions", "must be an array");
  const auto& list = v.get_array();
  if (list.size() > kMaxConditions) throw RuleError("conditions", "at most 50 conditions");
  std::vector<Condition> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& o = element(list[i], "conditions", i);
    for (const auto& kv : o)
      if (kv.key() != "field" && kv.key() != "operator" && kv.key() != "value")
        throw RuleError(at("conditions", i, kv.key()), "unknown field");
    Condition c;
    c.field = path_field(o, "field", at("conditions", i, "field"));
    const auto* op = o.if_contains("operator");
    if (op == nullptr || !op->is_string() || !one_of(kOperators, op->get_string()))
      throw RuleError(at("conditions", i, "operator"),
                      "must be one of equals, contains, greater_than, less_than");
    c.op = op->get_string();
    const auto* value = o.if_contains("value");
    if (value == nullptr) throw RuleError(at("conditions", i, "value"), "is required");
    if ((c.op == "greater_than" || c.op == "less_than") && !is_number(*value) && !value->is_string())
      throw RuleError(at("conditions", i, "value"),
                      "must be a number, a string or a timestamp to compare with");
    c.value = *value;
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<Mapping> parse_mappings(const json::value& v) {
  if (v.is_null()) return {};
  if (!v.is_array()) throw RuleError("mappings", "must be an array");
  const auto& list = v.get_array();
  if (list.size() > kMaxMappings) throw RuleError("mappings", "at most 100 mappings");
  std::vector<Mapping> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& o = element(list[i], "mappings", i);
    for (const auto& kv : o)
      if (kv.key() != "source" && kv.key() != "target" && kv.key() != "transform" &&
          kv.key() != "kokoField" && kv.key() != "externalField" && kv.key() != "customTransform")
        throw RuleError(at("mappings", i, kv.key()), "unknown field");
    Mapping m;
    const char* source = o.contains("kokoField") ? "kokoField" : "source";
    const char* target = o.contains("externalField") ? "externalField" : "target";
    m.source = path_field(o, source, at("mappings", i, source));
    m.target = path_field(o, target, at("mappings", i, target));
    m.transform = "none";
    if (const auto* t = o.if_contains("transform"); t != nullptr && !t->is_null()) {
      if (t->is_string() && t->get_string() == "custom")
        throw RuleError(
            at("mappings", i, "transform"),
            "custom transforms are not supported: this runtime runs no scripts; use none, uppercase, "
            "lowercase or date, or {{field}} templates in the parameters");
      if (!t->is_string() || !one_of(kTransforms, t->get_string()))
        throw RuleError(at("mappings", i, "transform"), "must be one of none, uppercase, lowercase, date");
      m.transform = t->get_string();
    }
    if (o.contains("customTransform"))
      throw RuleError(at("mappings", i, "customTransform"), "custom transforms are not supported");
    out.push_back(std::move(m));
  }
  return out;
}

json::array to_json(const std::vector<Condition>& conditions) {
  json::array a;
  for (const auto& c : conditions)
    a.push_back(json::object{{"field", c.field}, {"operator", c.op}, {"value", c.value}});
  return a;
}

json::array to_json(const std::vector<Mapping>& mappings) {
  json::array a;
  for (const auto& m : mappings)
    a.push_back(json::object{{"source", m.source}, {"target", m.target}, {"transform", m.transform}});
  return a;
}

const json::value* field_of(const json::object& payload, std::string_view path) {
  if (const auto* v = walk(payload, path)) return v;
  const auto* data = payload.if_contains("data");
  return data != nullptr && data->is_object() ? walk(data->get_object(), path) : nullptr;
}

bool conditions_hold(const std::vector<Condition>& conditions, const json::object& payload) {
  return std::all_of(conditions.begin(), conditions.end(), [&](const Condition& c) {
    const auto* v = field_of(payload, c.field);
    return v != nullptr && !v->is_null() && holds(c, *v);
  });
}

json::object build_parameters(const json::object& parameters, const std::vector<Mapping>& mappings,
                              const json::object& payload) {
  // The templates' context: the payload, with the data's own keys beside it (the fallback
  // field_of applies), so {{priority}} and {{data.priority}} both work.
  json::object context = payload;
  if (const auto* data = payload.if_contains("data"); data != nullptr && data->is_object())
    for (const auto& kv : data->get_object())
      if (!context.contains(kv.key())) context[kv.key()] = kv.value();
  json::object out;
  try {
    out = fill_templates(parameters, context).as_object();
  } catch (const ActionError& e) {
    throw BuildError(e.code, e.message);
  }
  for (const auto& m : mappings) {
    const auto* v = field_of(payload, m.source);
    if (v == nullptr)
      throw BuildError("MAPPING_FIELD_MISSING", "mapping source '" + m.source + "' is not in the event");
    set_path(out, m.target, transformed(m, *v));
  }
  return out;
}

}  // namespace plugboard::events

#include "plugins/json_schema.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace plugboard::plugins {

namespace json = boost::json;

namespace detail {

struct Node;

struct Property {
  std::string name;
  std::unique_ptr<Node> schema;
};

// One compiled (sub)schema. Absent keywords are empty optionals / null pointers.
struct Node {
  bool reject_all = false;  // the `false` schema
  unsigned types = 0;       // bitmask of TypeBit; 0 = any type
  std::vector<std::string> required;
  std::vector<Property> properties;  // declaration order: decides which error comes first
  std::unique_ptr<Node> additional;  // null: extra properties are allowed
  std::unique_ptr<Node> items;
  std::optional<json::array> enum_values;
  std::optional<json::value> const_value;
  std::optional<json::value> minimum, maximum, exclusive_minimum, exclusive_maximum;
  std::optional<std::uint64_t> min_length, max_length, min_items, max_items;
  std::optional<std::regex> pattern;
  std::string pattern_source;  // for messages
};

struct CompiledSchema {
  json::value source;
  std::unique_ptr<Node> root;
};

}  // namespace detail

namespace {

using detail::Node;

enum TypeBit : unsigned {
  kObject = 1,
  kArray = 2,
  kString = 4,
  kInteger = 8,
  kNumber = 16,
  kBoolean = 32,
  kNull = 64
};

constexpr std::pair<std::string_view, unsigned> kTypeNames[] = {
    {"object", kObject}, {"array", kArray},     {"string", kString}, {"integer", kInteger},
    {"number", kNumber}, {"boolean", kBoolean}, {"null", kNull}};

constexpr std::size_t kPreviewChars = 64;

std::string_view to_sv(json::string_view s) { return {s.data(), s.size()}; }

// Cuts long text for messages, on a UTF-8 character boundary.
std::string truncate(std::string s) {
  if (s.size() <= kPreviewChars) return s;
  std::size_t cut = kPreviewChars - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  return s + "...";
}

std::string preview(const json::value& v) { return truncate(json::serialize(v)); }

// std::regex reads the numbers in backreferences (\12) and repetitions (a{2,5}) into a long
// without an overflow check, and builds one state per repetition, so a long digit run is
// undefined behaviour and a large count eats memory (both found by fuzz_json_schema). Patterns
// with numbers above this are refused before they reach std::regex.
constexpr std::size_t kMaxPatternNumber = 1000;

// The first number in `pattern` after a backslash or an opening brace that exceeds
// kMaxPatternNumber, as written; "" when there is none.
std::string oversized_pattern_number(std::string_view pattern) {
  // The digits starting at `from`, or "" when they are within the bound.
  const auto too_big = [&](std::size_t from) -> std::string {
    std::size_t end = from;
    while (end < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[end]))) ++end;
    const std::string_view digits = pattern.substr(from, end - from);
    if (digits.size() > 4 || (!digits.empty() && std::stoul(std::string(digits)) > kMaxPatternNumber))
      return std::string(digits.substr(0, 12));
    return {};
  };
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      if (auto n = too_big(i + 1); !n.empty()) return n;
      ++i;  // the escaped character is a literal, not a brace
    } else if (pattern[i] == '{') {
      if (auto n = too_big(i + 1); !n.empty()) return n;
      const std::size_t comma = pattern.find_first_not_of("0123456789", i + 1);
      if (comma != std::string_view::npos && pattern[comma] == ',')
        if (auto n = too_big(comma + 1); !n.empty()) return n;
    }
  }
  return {};
}

bool is_number(const json::value& v) { return v.is_int64() || v.is_uint64() || v.is_double(); }

bool is_integral(const json::value& v) {
  if (v.is_int64() || v.is_uint64()) return true;
  if (!v.is_double()) return false;
  const double d = v.get_double();
  return std::isfinite(d) && std::trunc(d) == d;
}

double to_double(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return v.get_double();
}

// Three-way comparison of two numbers: exact between integers (int64 vs uint64 included),
// in double as soon as either side is a double.
int compare_numbers(const json::value& a, const json::value& b) {
  if (a.is_double() || b.is_double()) {
    const double x = to_double(a), y = to_double(b);
    return (x > y) - (x < y);
  }
  auto cmp = [](auto x, auto y) { return int(std::cmp_less(y, x)) - int(std::cmp_less(x, y)); };
  if (a.is_int64())
    return b.is_int64() ? cmp(a.get_int64(), b.get_int64()) : cmp(a.get_int64(), b.get_uint64());
  return b.is_int64() ? cmp(a.get_uint64(), b.get_int64()) : cmp(a.get_uint64(), b.get_uint64());
}

// JSON Schema equality for enum/const: numbers by value (1 == 1.0), containers recursively.
bool json_equal(const json::value& a, const json::value& b) {
  if (is_number(a) && is_number(b)) return compare_numbers(a, b) == 0;
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    return std::equal(x.begin(), x.end(), y.begin(), y.end(), json_equal);
  }
  if (a.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    return std::all_of(x.begin(), x.end(), [&](const json::key_value_pair& kv) {
      const json::value* other = y.if_contains(kv.key());
      return other && json_equal(kv.value(), *other);
    });
  }
  return a == b;
}

// Length as JSON Schema counts it: code points, i.e. UTF-8 bytes that start a character.
std::uint64_t code_points(json::string_view s) {
  return std::count_if(s.begin(), s.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

unsigned type_bits(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      return kObject;
    case json::kind::array:
      return kArray;
    case json::kind::string:
      return kString;
    case json::kind::int64:
    case json::kind::uint64:
      return kInteger | kNumber;
    case json::kind::double_:
      return kNumber | (is_integral(v) ? kInteger : 0u);
    case json::kind::bool_:
      return kBoolean;
    case json::kind::null:
      return kNull;
  }
  return 0;
}

std::string type_list(unsigned bits) {
  std::string out;
  for (const auto& [name, bit] : kTypeNames) {
    if (!(bits & bit)) continue;
    if (!out.empty()) out += " or ";
    out += name;
  }
  return out;
}

// Appends an object key to a dotted path; keys that would make the path ambiguous are
// written quoted in brackets (["a.b"]). Long keys are truncated like any echoed value.
void append_key(std::string& path, std::string_view key) {
  const bool plain = !key.empty() && key.find_first_of(".[]\"") == std::string_view::npos;
  if (plain) {
    if (!path.empty()) path += '.';
    path += truncate(std::string(key));
  } else {
    path += '[' + preview(json::value(json::string_view(key.data(), key.size()))) + ']';
  }
}

std::string join(std::string path, std::string_view key) {
  append_key(path, key);
  return path;
}

// ---------------------------------------------------------------------------------------
// Compilation

[[noreturn]] void fail(std::string path, std::string message) {
  throw SchemaCompileError({std::move(path), std::move(message)});
}

// minLength & co.: a non-negative integer (2.0 counts, as in draft 6+).
std::uint64_t as_count(const json::value& v, const std::string& path) {
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
  if (v.is_double() && is_integral(v) && v.get_double() >= 0 && v.get_double() < 1.8e19)
    return static_cast<std::uint64_t>(v.get_double());
  fail(path, "must be a non-negative integer, got " + preview(v));
}

unsigned parse_type_name(const json::value& v, const std::string& path) {
  if (!v.is_string()) fail(path, "type names must be strings, got " + preview(v));
  for (const auto& [name, bit] : kTypeNames)
    if (to_sv(v.get_string()) == name) return bit;
  fail(path, "unknown type " + truncate("'" + std::string(v.get_string()) + "'"));
}

std::unique_ptr<Node> compile_node(const json::value& schema, const std::string& path) {
  auto node = std::make_unique<Node>();
  if (schema.is_bool()) {
    node->reject_all = !schema.get_bool();
    return node;
  }
  if (!schema.is_object())
    fail(path, "a schema must be an object or a boolean, got " + describe_json_type(schema));

  for (const auto& member : schema.get_object()) {
    const std::string_view key = to_sv(member.key());
    const json::value& v = member.value();
    const std::string at = join(path, key);

    if (key == "type") {
      if (v.is_array()) {
        if (v.get_array().empty()) fail(at, "must not be an empty array");
        for (const auto& t : v.get_array()) node->types |= parse_type_name(t, at);
      } else {
        node->types = parse_type_name(v, at);
      }
    } else if (key == "required") {
      if (!v.is_array()) fail(at, "must be an array of property names, got " + preview(v));
      for (const auto& name : v.get_array()) {
        if (!name.is_string())
          fail(at, "must be an array of property names, got " + preview(name) + " in it");
        node->required.emplace_back(name.get_string());
      }
    } else if (key == "properties") {
      if (!v.is_object()) fail(at, "must be an object of schemas, got " + describe_json_type(v));
      for (const auto& prop : v.get_object())
        node->properties.push_back(
            {std::string(prop.key()), compile_node(prop.value(), join(at, to_sv(prop.key())))});
    } else if (key == "additionalProperties") {
      node->additional = compile_node(v, at);
    } else if (key == "items") {
      if (v.is_array())
        fail(at, "the tuple form (an array of schemas) is not supported; use a single schema");
      node->items = compile_node(v, at);
    } else if (key == "enum") {
      if (!v.is_array() || v.get_array().empty()) fail(at, "must be a non-empty array, got " + preview(v));
      node->enum_values = v.get_array();
    } else if (key == "const") {
      node->const_value = v;
    } else if (key == "minimum" || key == "maximum" || key == "exclusiveMinimum" ||
               key == "exclusiveMaximum") {
      if (!is_number(v)) fail(at, "must be a number, got " + preview(v));
      auto& slot = key == "minimum"            ? node->minimum
                   : key == "maximum"          ? node->maximum
                   : key == "exclusiveMinimum" ? node->exclusive_minimum
                                               : node->exclusive_maximum;
      slot = v;
    } else if (key == "minLength") {
      node->min_length = as_count(v, at);
    } else if (key == "maxLength") {
      node->max_length = as_count(v, at);
    } else if (key == "minItems") {
      node->min_items = as_count(v, at);
    } else if (key == "maxItems") {
      node->max_items = as_count(v, at);
    } else if (key == "pattern") {
      if (!v.is_string()) fail(at, "must be a string, got " + preview(v));
      node->pattern_source = std::string(v.get_string());
      if (const std::string n = oversized_pattern_number(node->pattern_source); !n.empty())
        fail(at, "regular expression " + truncate("'" + node->pattern_source + "'") + " has the number " + n +
                     ", above the " + std::to_string(kMaxPatternNumber) +
                     " this validator allows in backreferences and repetitions");
      try {
        node->pattern.emplace(node->pattern_source, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        fail(at,
             "invalid regular expression " + truncate("'" + node->pattern_source + "'") + ": " + e.what());
      }
    } else if (key == "description" || key == "title" || key == "format" || key == "$comment") {
      if (!v.is_string()) fail(at, "must be a string, got " + preview(v));
    } else if (key == "deprecated" || key == "readOnly" || key == "writeOnly") {
      if (!v.is_bool()) fail(at, "must be a boolean, got " + preview(v));
    } else if (key == "examples") {
      if (!v.is_array()) fail(at, "must be an array, got " + preview(v));
    } else if (key != "default") {
      // Refused rather than ignored, so a typo cannot silently disable a check.
      fail(at, "unknown keyword " + truncate("'" + std::string(key) + "'"));
    }
  }
  return node;
}

// ---------------------------------------------------------------------------------------
// Validation

// One step from the root to the value being checked. Steps live on the stack, so the
// path costs nothing until an error needs it rendered.
struct PathStep {
  const PathStep* parent;
  std::string_view key;  // when !is_index
  std::size_t index = 0;
  bool is_index = false;
};

void render(const PathStep* step, std::string& out) {
  if (!step) return;
  render(step->parent, out);
  if (step->is_index)
    out += '[' + std::to_string(step->index) + ']';
  else
    append_key(out, step->key);
}

using Result = std::optional<ValidationError>;

Result error(const PathStep* at, std::string keyword, std::string message) {
  ValidationError e{{}, std::move(keyword), std::move(message)};
  render(at, e.field);
  return e;
}

Result check(const Node& node, const json::value& v, const PathStep* at);

Result check_number(const Node& n, const json::value& v, const PathStep* at) {
  auto bound = [&](const std::optional<json::value>& limit, std::string_view keyword, auto ok,
                   std::string_view op) -> Result {
    if (!limit || ok(compare_numbers(v, *limit))) return std::nullopt;
    return error(at, std::string(keyword),
                 "must be " + std::string(op) + " " + preview(*limit) + " (got " + preview(v) + ")");
  };
  if (auto r = bound(
          n.minimum, "minimum", [](int c) { return c >= 0; }, ">="))
    return r;
  if (auto r = bound(
          n.maximum, "maximum", [](int c) { return c <= 0; }, "<="))
    return r;
  if (auto r = bound(
          n.exclusive_minimum, "exclusiveMinimum", [](int c) { return c > 0; }, ">"))
    return r;
  if (auto r = bound(
          n.exclusive_maximum, "exclusiveMaximum", [](int c) { return c < 0; }, "<"))
    return r;
  return std::nullopt;
}

Result check_string(const Node& n, const json::string& s, const PathStep* at) {
  if (n.min_length || n.max_length) {
    const std::uint64_t len = code_points(s);
    if (n.min_length && len < *n.min_length)
      return error(at, "minLength",
                   "must be at least " + std::to_string(*n.min_length) + " characters long (got " +
                       std::to_string(len) + ")");
    if (n.max_length && len > *n.max_length)
      return error(at, "maxLength",
                   "must be at most " + std::to_string(*n.max_length) + " characters long (got " +
                       std::to_string(len) + ")");
  }
  // JSON Schema patterns are unanchored: search, not match.
  if (n.pattern && !std::regex_search(s.begin(), s.end(), *n.pattern))
    return error(at, "pattern", "must match the pattern " + truncate("'" + n.pattern_source + "'"));
  return std::nullopt;
}

Result check_array(const Node& n, const json::array& a, const PathStep* at) {
  if (n.min_items && a.size() < *n.min_items)
    return error(at, "minItems",
                 "must have at least " + std::to_string(*n.min_items) + " items (got " +
                     std::to_string(a.size()) + ")");
  if (n.max_items && a.size() > *n.max_items)
    return error(at, "maxItems",
                 "must have at most " + std::to_string(*n.max_items) + " items (got " +
                     std::to_string(a.size()) + ")");
  if (n.items) {
    for (std::size_t i = 0; i < a.size(); ++i) {
      const PathStep step{at, {}, i, true};
      if (auto r = check(*n.items, a[i], &step)) return r;
    }
  }
  return std::nullopt;
}

Result check_object(const Node& n, const json::object& o, const PathStep* at) {
  for (const auto& prop : n.properties) {
    if (const json::value* child = o.if_contains(prop.name)) {
      const PathStep step{at, prop.name};
      if (auto r = check(*prop.schema, *child, &step)) return r;
    }
  }
  if (!n.additional) return std::nullopt;
  for (const auto& member : o) {
    const std::string_view key = to_sv(member.key());
    // Linear scan: manifest schemas declare a handful of properties, where this beats hashing.
    const bool declared = std::any_of(n.properties.begin(), n.properties.end(),
                                      [&](const detail::Property& p) { return p.name == key; });
    if (declared) continue;
    const PathStep step{at, key};
    if (n.additional->reject_all) return error(&step, "additionalProperties", "is not an allowed property");
    if (auto r = check(*n.additional, member.value(), &step)) return r;
  }
  return std::nullopt;
}

Result check(const Node& n, const json::value& v, const PathStep* at) {
  if (n.reject_all) return error(at, "false", "no value is allowed here (the schema is false)");
  if (v.is_object()) {
    for (const auto& name : n.required) {
      if (!v.get_object().contains(name)) {
        const PathStep missing{at, name};
        return error(&missing, "required", "is required");
      }
    }
  }
  if (n.types && !(n.types & type_bits(v)))
    return error(at, "type", "must be " + type_list(n.types) + ", got " + describe_json_type(v));
  if (n.enum_values && std::none_of(n.enum_values->begin(), n.enum_values->end(),
                                    [&](const json::value& e) { return json_equal(v, e); }))
    return error(at, "enum", "must be one of " + preview(*n.enum_values));
  if (n.const_value && !json_equal(v, *n.const_value))
    return error(at, "const", "must be " + preview(*n.const_value));

  if (is_number(v)) return check_number(n, v, at);
  if (v.is_string()) return check_string(n, v.get_string(), at);
  if (v.is_array()) return check_array(n, v.get_array(), at);
  if (v.is_object()) return check_object(n, v.get_object(), at);
  return std::nullopt;
}

}  // namespace

SchemaCompileError::SchemaCompileError(SchemaError error)
    : std::runtime_error(error.path.empty() ? error.message : error.path + ": " + error.message),
      error_(std::move(error)) {}

Schema::Schema(std::shared_ptr<const detail::CompiledSchema> compiled) : compiled_(std::move(compiled)) {}

Schema Schema::compile(const json::value& schema) {
  auto compiled = std::make_shared<detail::CompiledSchema>();
  compiled->root = compile_node(schema, "");
  compiled->source = schema;
  return Schema(std::move(compiled));
}

std::optional<ValidationError> Schema::validate(const json::value& instance) const {
  return check(*compiled_->root, instance, nullptr);
}

const json::value& Schema::source() const { return compiled_->source; }

std::string describe_json_type(const json::value& value) {
  switch (value.kind()) {
    case json::kind::object:
      return "object";
    case json::kind::array:
      return "array";
    case json::kind::string:
      return "string";
    case json::kind::int64:
    case json::kind::uint64:
      return "integer";
    case json::kind::double_:
      return "number";
    case json::kind::bool_:
      return "boolean";
    case json::kind::null:
      return "null";
  }
  return "unknown";
}

}  // namespace plugboard::plugins

// {{field}} placeholders in message text (seed 000: "New task created: {{field_456}}"),
// filled from a `context` object the API client sends with the parameters. Header-only.
//
//   std::string text = plugboard::fill_template(params_text, context);
//
// `{{name}}` takes context["name"]; `{{a.b}}` walks nested objects. Strings go in as they are,
// numbers and booleans in their JSON spelling. A placeholder with no value is an error
// (ActionError TEMPLATE_FIELD_MISSING naming it), never a silent empty string, unless the
// caller passes allow_missing = true. `{{{{` is a literal "{{".
#pragma once

#include <plugboard/sdk.hpp>

#include <string>
#include <string_view>

namespace plugboard {

namespace detail {
inline const json::value* lookup(const json::object& context, std::string_view path) {
  const json::object* at = &context;
  const json::value* found = nullptr;
  while (true) {
    const auto dot = path.find('.');
    const std::string_view key = path.substr(0, dot);
    found = at->if_contains(key);
    if (found == nullptr || dot == std::string_view::npos) return found;
    if (!found->is_object()) return nullptr;
    at = &found->get_object();
    path.remove_prefix(dot + 1);
  }
}

inline std::string trimmed(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}
}  // namespace detail

inline std::string fill_template(std::string_view text, const json::object& context,
                                 bool allow_missing = false) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, open - pos));
    if (text.substr(open, 4) == "{{{{") {
      out += "{{";
      pos = open + 4;
      continue;
    }
    const auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      out.append(text.substr(open));
      break;
    }
    const std::string name = detail::trimmed(text.substr(open + 2, close - open - 2));
    const json::value* v = name.empty() ? nullptr : detail::lookup(context, name);
    if (v == nullptr || v->is_null()) {
      if (!allow_missing)
        throw ActionError{"TEMPLATE_FIELD_MISSING",
                          "template field '" + name + "' has no value in context",
                          {{"field", name}}};
    } else if (v->is_string()) {
      out.append(v->get_string().data(), v->get_string().size());
    } else {
      out += json::serialize(*v);
    }
    pos = close + 2;
  }
  return out;
}

// Fills every string inside a JSON value (an Adaptive Card, Slack blocks) the same way.
inline json::value fill_templates(const json::value& v, const json::object& context,
                                  bool allow_missing = false) {
  if (v.is_string()) return json::value(fill_template(v.get_string(), context, allow_missing));
  if (v.is_array()) {
    json::array a;
    a.reserve(v.get_array().size());
    for (const auto& item : v.get_array()) a.push_back(fill_templates(item, context, allow_missing));
    return a;
  }
  if (v.is_object()) {
    json::object o;
    for (const auto& kv : v.get_object()) o[kv.key()] = fill_templates(kv.value(), context, allow_missing);
    return o;
  }
  return v;
}

}  // namespace plugboard

#include "http/request_parsing.hpp"

#include <algorithm>
#include "store/iso_time.hpp"

#include <charconv>
#include <regex>

namespace plugboard::http {

boost::json::object require_object_body(Exchange& ex) {
  std::string error;
  auto body = ex.json_body(error);
  if (!body) throw ServiceError::invalid("", error);
  return std::move(*body);
}

std::optional<std::string> opt_string(const boost::json::object& o, const char* field) {
  const auto* v = o.if_contains(field);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_string()) throw ServiceError::invalid(field, std::string(field) + " must be a string");
  return std::string(v->get_string());
}

std::string req_string(const boost::json::object& o, const char* field, std::size_t max_len) {
  auto s = opt_string(o, field);
  if (!s || s->empty()) throw ServiceError::invalid(field, std::string(field) + " is required");
  if (s->size() > max_len)
    throw ServiceError::invalid(
        field, std::string(field) + " is longer than " + std::to_string(max_len) + " characters");
  return *s;
}

std::vector<std::string> opt_strings(const boost::json::object& o, const char* field,
                                     const std::string& where) {
  std::vector<std::string> out;
  const auto* v = o.if_contains(field);
  if (v == nullptr || v->is_null()) return out;
  const std::string name = where.empty() ? field : where + "." + field;
  if (!v->is_array()) throw ServiceError::invalid(name, name + " must be a list of strings");
  for (const auto& item : v->get_array()) {
    if (item.is_string())
      out.emplace_back(item.get_string());
    else if (item.is_int64())  // seed 000 lists table ids as numbers
      out.push_back(std::to_string(item.get_int64()));
    else
      throw ServiceError::invalid(name, name + " must be a list of strings");
  }
  return out;
}

std::optional<boost::json::object> opt_object(const boost::json::object& o, const char* field) {
  const auto* v = o.if_contains(field);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_object()) throw ServiceError::invalid(field, std::string(field) + " must be an object");
  return v->get_object();
}

std::optional<bool> opt_bool(const boost::json::object& o, const char* field) {
  const auto* v = o.if_contains(field);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_bool()) throw ServiceError::invalid(field, std::string(field) + " must be true or false");
  return v->get_bool();
}

void reject_unknown(const boost::json::object& body, std::initializer_list<const char*> known) {
  for (const auto& kv : body)
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return kv.key() == k; }))
      throw ServiceError::invalid(std::string(kv.key()), "unknown field " + std::string(kv.key()));
}

namespace {
std::int64_t int_query(const Exchange& ex, const char* name, std::int64_t fallback, std::int64_t min,
                       std::int64_t max) {
  auto s = ex.query(name);
  if (!s) return fallback;
  const std::string_view text = *s;
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < min || v > max)
    throw ServiceError::invalid(name, std::string(name) + " must be an integer from " + std::to_string(min) +
                                          " to " + std::to_string(max));
  return v;
}
}  // namespace

store::Page page_from_query(const Exchange& ex, std::int64_t max_limit) {
  return {int_query(ex, "limit", 50, 1, max_limit), int_query(ex, "offset", 0, 0, 1'000'000'000)};
}

std::optional<std::string> date_bound_query(const Exchange& ex, const char* name, bool end_of_day) {
  auto s = ex.query(name);
  if (!s) return std::nullopt;
  static const std::regex kDate(R"(\d{4}-\d{2}-\d{2})");
  std::string text = *s;
  if (std::regex_match(text, kDate)) text += end_of_day ? "T23:59:59Z" : "T00:00:00Z";
  auto t = store::parse_iso(text);
  if (!t)
    throw ServiceError::invalid(name,
                                std::string(name) + " must be an ISO 8601 time, e.g. 2024-01-15T12:00:00Z");
  // system_clock spans 1678..2261 only; bounds beyond it are clamped, not wrapped around.
  const int year = std::stoi(text.substr(0, 4));
  if (year >= 2200) return "9999-12-31T23:59:59Z";
  if (year < 1700) return "0000-01-01T00:00:00Z";
  return store::to_iso(*t);
}

}  // namespace plugboard::http

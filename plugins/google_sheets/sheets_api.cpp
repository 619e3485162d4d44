#include "sheets_api.hpp"

#include <charconv>
#include <cstdint>

namespace google_sheets {

using plugboard::ActionError;
using plugboard::Context;
using plugboard::HttpRequest;
using plugboard::HttpResponse;

namespace {

std::int64_t retry_after_seconds(const HttpResponse& resp) {
  std::string h = resp.header("retry-after");
  std::int64_t secs = -1;
  auto [end, ec] = std::from_chars(h.data(), h.data() + h.size(), secs);
  return ec == std::errc() && end == h.data() + h.size() ? secs : -1;
}

std::string string_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// Google's ErrorInfo detail names a machine-readable reason (e.g. RATE_LIMIT_EXCEEDED).
std::string error_reason(const json::object& error) {
  const json::value* details = error.if_contains("details");
  if (details == nullptr || !details->is_array()) return {};
  for (const json::value& d : details->get_array())
    if (d.is_object())
      if (std::string reason = string_field(d.get_object(), "reason"); !reason.empty()) return reason;
  return {};
}

}  // namespace

std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0x0F];
    }
  }
  return out;
}

std::string spreadsheet_path(std::string_view spreadsheet_id) {
  return "/spreadsheets/" + url_encode(spreadsheet_id);
}

json::object check(std::string_view operation, const HttpResponse& resp) {
  boost::system::error_code ec;
  json::value parsed = json::parse(resp.body, ec);
  const json::object* body = !ec && parsed.is_object() ? &parsed.get_object() : nullptr;

  if (resp.ok()) {
    if (body == nullptr) {
      json::object d;
      d["status"] = resp.status;
      d["retryable"] = false;
      d["operation"] = operation;
      throw ActionError{
          "INVALID_RESPONSE",
          "Google Sheets answered " + std::string(operation) + " with a body that is not a JSON object",
          std::move(d)};
    }
    return std::move(parsed.get_object());
  }

  // Google's error object where there is one; an edge's HTML page otherwise.
  std::string status_name;
  std::string message;
  std::string reason;
  if (const json::value* e = body != nullptr ? body->if_contains("error") : nullptr;
      e != nullptr && e->is_object()) {
    status_name = string_field(e->get_object(), "status");
    message = string_field(e->get_object(), "message");
    reason = error_reason(e->get_object());
  }
  if (status_name.empty()) status_name = "http_" + std::to_string(resp.status);
  if (message.empty()) message = "HTTP " + std::to_string(resp.status);

  json::object d;
  d["status"] = resp.status;
  d["provider_error"] = status_name;
  d["message"] = message;
  d["retryable"] = resp.status == 429 || resp.status >= 500;
  d["operation"] = operation;
  if (!reason.empty()) d["reason"] = reason;
  if (resp.status == 429 || resp.status == 503)
    if (std::int64_t secs = retry_after_seconds(resp); secs >= 0) d["retry_after"] = secs;
  throw ActionError{"PROVIDER_ERROR", "Google Sheets API error: " + status_name + ": " + message,
                    std::move(d)};
}

json::object get(const Context& ctx, std::string_view operation, const std::string& path) {
  HttpRequest req;
  req.url = path;
  return check(operation, ctx.http(req));
}

json::object post(const Context& ctx, std::string_view operation, const std::string& path,
                  const json::object& body) {
  return check(operation, ctx.http(HttpRequest::post_json(path, body)));
}

}  // namespace google_sheets

#include "drive_api.hpp"

#include <charconv>
#include <chrono>
#include <cstdint>
#include <ctime>

namespace google_drive {

using plugboard::ActionError;
using plugboard::Context;
using plugboard::HttpRequest;
using plugboard::HttpResponse;

namespace {

std::int64_t retry_after_seconds(const HttpResponse& resp) {
  std::string h = resp.header("retry-after");
  std::int64_t secs = 0;
  auto [end, ec] = std::from_chars(h.data(), h.data() + h.size(), secs);
  return ec == std::errc() && end == h.data() + h.size() && secs >= 0 ? secs : -1;
}

std::string string_of(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// Reasons Google gives with 403 when the caller should slow down and try again.
bool rate_limit_reason(std::string_view reason) {
  return reason == "rateLimitExceeded" || reason == "userRateLimitExceeded" || reason == "backendError";
}

}  // namespace

void throw_provider_error(std::string_view what, const HttpResponse& resp) {
  boost::system::error_code ec;
  json::value parsed = json::parse(resp.body, ec);
  std::string status_text;
  std::string message;
  std::string reason;
  if (!ec && parsed.is_object()) {
    if (const json::value* e = parsed.get_object().if_contains("error"); e != nullptr) {
      if (e->is_object()) {
        const json::object& err = e->get_object();
        status_text = string_of(err, "status");
        message = string_of(err, "message");
        if (const json::value* list = err.if_contains("errors"); list != nullptr && list->is_array() &&
                                                                 !list->get_array().empty() &&
                                                                 list->get_array()[0].is_object())
          reason = string_of(list->get_array()[0].get_object(), "reason");
      } else if (e->is_string()) {  // OAuth endpoints: {"error":"invalid_grant","error_description":...}
        status_text = e->get_string();
        message = string_of(parsed.get_object(), "error_description");
      }
    }
  }
  if (status_text.empty()) status_text = "HTTP_" + std::to_string(resp.status);
  if (message.empty()) message = "HTTP " + std::to_string(resp.status) + " from " + std::string(what);

  json::object d;
  d["status"] = resp.status;
  d["provider_error"] = status_text;
  d["message"] = message;
  d["retryable"] =
      resp.status == 429 || resp.status >= 500 || (resp.status == 403 && rate_limit_reason(reason));
  d["operation"] = what;
  if (!reason.empty()) d["reason"] = reason;
  if (std::int64_t secs = retry_after_seconds(resp); secs >= 0) d["retry_after"] = secs;
  throw ActionError{"PROVIDER_ERROR", "Google Drive API error: " + status_text + ": " + message,
                    std::move(d)};
}

json::object check(std::string_view what, const HttpResponse& resp) {
  if (!resp.ok()) throw_provider_error(what, resp);
  boost::system::error_code ec;
  json::value parsed = json::parse(resp.body, ec);
  if (ec || !parsed.is_object()) {
    json::object d;
    d["status"] = resp.status;
    d["retryable"] = false;
    d["operation"] = what;
    throw ActionError{"INVALID_RESPONSE",
                      "Google Drive answered " + std::string(what) + " with a body that is not a JSON object",
                      std::move(d)};
  }
  return std::move(parsed.get_object());
}

json::object get(const Context& ctx, std::string_view what, std::string url) {
  HttpRequest req;
  req.url = std::move(url);
  return check(what, ctx.http(req));
}

json::object post(const Context& ctx, std::string_view what, std::string url, const json::object& body) {
  return check(what, ctx.http(HttpRequest::post_json(std::move(url), body)));
}

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

std::string file_view_url(std::string_view id) {
  return "https://drive.google.com/file/d/" + url_encode(id) + "/view";
}

std::string folder_view_url(std::string_view id) {
  return "https://drive.google.com/drive/folders/" + url_encode(id);
}

std::int64_t size_field(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) return -1;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (!v->is_string()) return -1;
  std::string_view s = v->get_string();
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  return ec == std::errc() && end == s.data() + s.size() && n >= 0 ? n : -1;
}

std::string utc_now() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace google_drive

#include "slack_api.hpp"

#include <charconv>
#include <cstdint>

namespace slack {

using plugboard::ActionError;
using plugboard::Context;
using plugboard::HttpRequest;
using plugboard::HttpResponse;

namespace {

// Slack reports some server-side trouble as an ordinary {"ok":false} answer; a later attempt
// may succeed, so the caller is told it may retry.
bool transient_error(std::string_view error) {
  return error == "ratelimited" || error == "internal_error" || error == "fatal_error" ||
         error == "service_unavailable" || error == "request_timeout";
}

std::int64_t retry_after_seconds(const HttpResponse& resp) {
  std::string h = resp.header("retry-after");
  std::int64_t secs = 0;
  auto [end, ec] = std::from_chars(h.data(), h.data() + h.size(), secs);
  // Slack always sends Retry-After with a 429; without one, wait a little rather than not at all.
  return ec == std::errc() && end == h.data() + h.size() && secs >= 0 ? secs : 1;
}

void log_warnings(const Context& ctx, std::string_view method, const json::object& body) {
  std::string warnings;
  if (const json::value* w = body.if_contains("warning"); w != nullptr && w->is_string())
    warnings = w->get_string();
  if (warnings.empty()) return;  // response_metadata.warnings repeats the same list
  ctx.warn("Slack " + std::string(method) + " warning: " + warnings);
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

json::object check(const Context& ctx, std::string_view method, const HttpResponse& resp) {
  boost::system::error_code ec;
  json::value parsed = json::parse(resp.body, ec);
  const json::object* body = !ec && parsed.is_object() ? &parsed.get_object() : nullptr;

  // Rate limits and server errors are failures whatever the body (often an HTML page).
  const bool server_trouble = resp.status == 429 || resp.status >= 500;
  if (body == nullptr && !server_trouble) {
    json::object d;
    d["status"] = resp.status;
    d["retryable"] = false;
    d["method"] = method;
    throw ActionError{"INVALID_RESPONSE",
                      "Slack API returned a response to " + std::string(method) +
                          " that is not a JSON object (HTTP " + std::to_string(resp.status) + ")",
                      std::move(d)};
  }

  const json::value* ok = body != nullptr ? body->if_contains("ok") : nullptr;
  if (resp.ok() && ok != nullptr && ok->is_bool() && ok->get_bool()) {
    log_warnings(ctx, method, *body);
    return std::move(parsed.get_object());
  }

  // A failure: Slack's own error string where it gave one, else one named for the status.
  std::string error;
  if (const json::value* e = body != nullptr ? body->if_contains("error") : nullptr;
      e != nullptr && e->is_string())
    error = e->get_string();
  if (error.empty()) error = resp.status == 429 ? "ratelimited" : "http_" + std::to_string(resp.status);

  json::object d;
  d["provider_error"] = error;
  d["status"] = resp.status;
  d["retryable"] = server_trouble || transient_error(error);
  d["method"] = method;
  if (resp.status == 429) d["retry_after"] = retry_after_seconds(resp);
  if (body != nullptr) {
    // missing_scope names the scope to add; invalid_arguments explains itself in messages.
    for (const char* key : {"needed", "provided"})
      if (const json::value* v = body->if_contains(key)) d[key] = *v;
    if (const json::value* meta = body->if_contains("response_metadata");
        meta != nullptr && meta->is_object())
      if (const json::value* m = meta->get_object().if_contains("messages")) d["messages"] = *m;
  }
  throw ActionError{"PROVIDER_ERROR", "Slack API error: " + error, std::move(d)};
}

json::object get(const Context& ctx, std::string_view method, const Query& query) {
  HttpRequest req;
  req.url = "/" + std::string(method);
  char sep = '?';
  for (const auto& [name, value] : query) {
    if (value.empty()) continue;
    req.url += sep;
    req.url += url_encode(name);
    req.url += '=';
    req.url += url_encode(value);
    sep = '&';
  }
  return check(ctx, method, ctx.http(req));
}

json::object post(const Context& ctx, std::string_view method, const json::object& body) {
  return check(ctx, method, ctx.http(HttpRequest::post_json("/" + std::string(method), body)));
}

}  // namespace slack

#include "graph_api.hpp"

#include "params.hpp"

#include <charconv>
#include <cstdint>
#include <utility>

namespace teams {

using plugboard::ActionError;
using plugboard::Context;
using plugboard::HttpRequest;
using plugboard::HttpResponse;

namespace {

// Graph's codes for trouble a later attempt may get past.
bool transient_code(std::string_view code) {
  return code == "TooManyRequests" || code == "ServiceNotAvailable" || code == "serviceNotAvailable" ||
         code == "GatewayTimeout" || code == "gatewayTimeout" || code == "InternalServerError" ||
         code == "generalException" || code == "UnknownError" || code == "activityLimitReached";
}

// Retry-After in seconds, or -1 when absent or not a number of seconds.
std::int64_t retry_after_seconds(const HttpResponse& resp) {
  std::string h = resp.header("retry-after");
  std::int64_t secs = -1;
  auto [end, ec] = std::from_chars(h.data(), h.data() + h.size(), secs);
  return ec == std::errc() && end == h.data() + h.size() && secs >= 0 ? secs : -1;
}

// A collection link as a URL relative to the base URL, or "" when it is not one for `resource`.
// Graph's links are absolute ("https://graph.microsoft.com/v1.0/me/joinedTeams?$skiptoken=..."):
// only the part after the version is kept, so the request always goes to the connection's own
// base URL (with its credentials) and never to a host named in a parameter.
std::string relative_link(const std::string& link, const std::string& resource) {
  std::string rel;
  if (link.rfind("https://", 0) == 0 || link.rfind("http://", 0) == 0) {
    const auto path = link.find('/', link.find("://") + 3);
    if (path == std::string::npos) return {};
    const auto version = link.find("/v1.0/", path);
    if (version == std::string::npos) return {};
    rel = link.substr(version + 5);
  } else if (!link.empty() && link.front() == '/') {
    rel = link;
  } else {
    return {};
  }
  if (rel.compare(0, resource.size(), resource) != 0) return {};
  if (rel.size() != resource.size() && rel[resource.size()] != '?') return {};
  return rel;
}

}  // namespace

std::string path_segment(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                c == '.' || c == '_' || c == '~' || c == ':' || c == '@';
    if (keep) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0x0F];
    }
  }
  return out;
}

json::object check(const HttpResponse& resp) {
  boost::system::error_code ec;
  json::value parsed = json::parse(resp.body, ec);
  json::object* body = !ec && parsed.is_object() ? &parsed.get_object() : nullptr;

  if (resp.ok()) {
    if (body != nullptr) return std::move(*body);
    if (resp.body.empty()) return {};  // 204 No Content
    json::object d;
    d["status"] = resp.status;
    d["retryable"] = false;
    throw ActionError{"INVALID_RESPONSE",
                      "Microsoft Graph returned a response that is not a JSON object (HTTP " +
                          std::to_string(resp.status) + ")",
                      std::move(d)};
  }

  // {"error": {"code", "message", "innerError": {"request-id", "date", ...}}}; proxies and
  // gateways in front of Graph may answer with HTML instead.
  std::string code;
  std::string message;
  std::string request_id;
  if (const json::value* e = body != nullptr ? body->if_contains("error") : nullptr;
      e != nullptr && e->is_object()) {
    const json::object& err = e->get_object();
    code = string_param(err, "code");
    message = string_param(err, "message");
    for (const char* key : {"innerError", "innererror"})
      if (const json::value* inner = err.if_contains(key); inner != nullptr && inner->is_object())
        if (const json::value* rid = inner->get_object().if_contains("request-id");
            rid != nullptr && rid->is_string())
          request_id = rid->get_string();
  }
  if (code.empty()) code = resp.status == 429 ? "TooManyRequests" : "http_" + std::to_string(resp.status);
  if (message.empty()) message = "HTTP " + std::to_string(resp.status);

  json::object d;
  d["status"] = resp.status;
  d["provider_error"] = code;
  d["message"] = message;
  d["retryable"] = resp.status == 429 || resp.status >= 500 || transient_code(code);
  if (std::int64_t ra = retry_after_seconds(resp); ra >= 0 && (resp.status == 429 || resp.status >= 500))
    d["retry_after"] = ra;
  if (!request_id.empty()) d["request_id"] = request_id;
  throw ActionError{"PROVIDER_ERROR", "Microsoft Graph error: " + code + ": " + message, std::move(d)};
}

json::object get(const Context& ctx, const std::string& url) {
  HttpRequest req;
  req.url = url;
  req.headers["Accept"] = "application/json";
  return check(ctx.http(req));
}

json::object post(const Context& ctx, const std::string& url, const json::value& body) {
  HttpRequest req = HttpRequest::post_json(url, body);
  req.headers["Accept"] = "application/json";
  return check(ctx.http(req));
}

Collection list_pages(const Context& ctx, const std::string& first_url, const std::string& resource,
                      const std::string& next_link, std::int64_t max_pages) {
  std::string url = first_url;
  if (!next_link.empty()) {
    url = relative_link(next_link, resource);
    if (url.empty()) throw invalid_parameter("next_link", "is not a continuation link for " + resource);
  }
  Collection out;
  for (std::int64_t page = 0; page < max_pages; ++page) {
    json::object body = get(ctx, url);
    if (const json::value* v = body.if_contains("value"); v != nullptr && v->is_array())
      for (const json::value& item : v->get_array())
        if (item.is_object()) out.items.push_back(item);
    out.next_link = string_param(body, "@odata.nextLink");
    if (out.next_link.empty()) return out;
    url = relative_link(out.next_link, resource);
    if (url.empty()) {
      json::object d;
      d["retryable"] = false;
      throw ActionError{"INVALID_RESPONSE", "Microsoft Graph returned an @odata.nextLink outside " + resource,
                        std::move(d)};
    }
    if (ctx.cancelled()) break;
  }
  return out;  // stopped at max_pages: the caller continues from next_link
}

}  // namespace teams

#include "webhook.hpp"

#include "params.hpp"

#include <utility>

namespace teams {

using plugboard::ActionError;

namespace {

// Replaces every occurrence of the webhook URL (and its path alone) in text.
std::string scrub(std::string text, const std::string& url) {
  auto replace_all = [&text](const std::string& what) {
    if (what.size() < 8) return;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at))
      text.replace(at, what.size(), "[REDACTED]");
  };
  replace_all(url);
  if (auto p = url.find('/', url.find("://") == std::string::npos ? 0 : url.find("://") + 3);
      p != std::string::npos)
    replace_all(url.substr(p));
  return text;
}

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

ActionError webhook_error(const std::string& url, int status, const std::string& body, bool retryable) {
  std::string text = scrub(trimmed(body), url);
  if (text.size() > 500) text = text.substr(0, 500) + "...";
  json::object d;
  d["status"] = status;
  d["provider_error"] = status >= 200 && status < 300 ? std::string("webhook_delivery_failed")
                                                      : "http_" + std::to_string(status);
  d["message"] = text;
  d["retryable"] = retryable;
  d["mode"] = "webhook";
  return {"PROVIDER_ERROR",
          "Teams incoming webhook error: " + (text.empty() ? "HTTP " + std::to_string(status) : text),
          std::move(d)};
}

}  // namespace

std::string webhook_url(const plugboard::Context& ctx) {
  const json::object creds = ctx.credentials();
  const json::value* v = creds.if_contains("webhook_url");
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string url_host(const std::string& url) {
  const auto start = url.find("://");
  if (start == std::string::npos) return {};
  const auto end = url.find_first_of("/?#", start + 3);
  return url.substr(start + 3, end == std::string::npos ? std::string::npos : end - start - 3);
}

void post_to_webhook(const plugboard::Context& ctx, const std::string& url, const json::value& payload) {
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
    json::object d;
    d["retryable"] = false;
    throw ActionError{"INVALID_CREDENTIALS", "the connection's webhook_url is not an http(s) URL",
                      std::move(d)};
  }
  plugboard::HttpResponse resp;
  try {
    resp = ctx.http(plugboard::HttpRequest::post_json(url, payload));
  } catch (ActionError& e) {
    // The host's transport errors may quote the URL ("bad host in <url>").
    e.message = scrub(std::move(e.message), url);
    if (json::value* r = e.details.if_contains("reason"); r != nullptr && r->is_string())
      *r = scrub(std::string(r->get_string()), url);
    throw;
  }
  const std::string body = trimmed(resp.body);
  if (resp.ok()) {
    // Office 365 connectors answer "1"; a throttled or failed delivery may still be HTTP 200
    // with the reason as text ("Webhook message delivery failed with error: ... 429 ...").
    if (body.empty() || body == "1") return;
    throw webhook_error(url, resp.status, body, body.find("429") != std::string::npos);
  }
  throw webhook_error(url, resp.status, body, resp.status == 429 || resp.status >= 500);
}

}  // namespace teams

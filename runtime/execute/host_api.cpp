// The host services behind pb_host_api. These are C entry points called from plugin code:
// nothing may throw out of them.
#include "execute/call.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

namespace plugboard::execute {
using net::OutboundRequest;
using net::OutboundResponse;
using net::TransportError;
namespace {

void write(const pb_writer* w, std::string_view s) {
  if (w != nullptr && w->write != nullptr) w->write(w->ctx, s.data(), s.size());
}

void host_log(pb_call* call, int32_t level, const char* msg, size_t len) {
  std::string_view text(msg, len);
  auto lvl = static_cast<spdlog::level::level_enum>(std::clamp<int32_t>(level, PB_LOG_TRACE, PB_LOG_ERROR));
  if (call == nullptr || call->manifest == nullptr)
    spdlog::log(lvl, "[plugin] {}", text);
  else
    spdlog::log(lvl, "[{}] request_id={} {}", call->manifest->id, call->request_id, text);
}

int32_t host_is_cancelled(pb_call* call) { return call != nullptr && call->expired() ? 1 : 0; }

int64_t host_remaining_ms(pb_call* call) { return call != nullptr ? call->remaining().count() : 0; }

int32_t host_credentials(pb_call* call, const pb_writer* out) {
  if (call == nullptr) return PB_NOT_FOUND;
  if (call->trigger != nullptr && !call->trigger->secrets.empty()) {
    boost::json::object merged = call->credentials != nullptr ? *call->credentials : boost::json::object{};
    for (const auto& kv : call->trigger->secrets) merged[kv.key()] = kv.value();
    write(out, boost::json::serialize(merged));
    return PB_OK;
  }
  if (call->credentials == nullptr) return PB_NOT_FOUND;
  write(out, boost::json::serialize(*call->credentials));
  return PB_OK;
}

int32_t host_state_get(pb_call* call, const pb_writer* out) {
  if (call == nullptr || call->trigger == nullptr) return PB_NOT_FOUND;
  write(out, call->trigger->new_state ? *call->trigger->new_state : call->trigger->state);
  return PB_OK;
}

int32_t host_state_set(pb_call* call, const char* json, size_t len) {
  if (call == nullptr || call->trigger == nullptr) return PB_NOT_FOUND;
  if (json == nullptr || len > kMaxTriggerState) return PB_ERROR;
  std::string_view text(json, len);
  boost::system::error_code ec;
  boost::json::parse(text, ec);
  if (ec) return PB_ERROR;
  call->trigger->new_state = std::string(text);
  return PB_OK;
}

void append_json_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

// Response headers as a JSON object, written directly: this runs on every upstream call.
std::string headers_json(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string out = "{";
  for (const auto& [k, v] : headers) {
    if (out.size() > 1) out += ',';
    append_json_string(out, k);
    out += ':';
    append_json_string(out, v);
  }
  out += '}';
  return out;
}

// Written by hand: plugins may ask for it on every call.
int32_t host_call_info(pb_call* call, const pb_writer* out) {
  if (call == nullptr) return PB_NOT_FOUND;
  std::string info;
  info.reserve(256);
  auto field = [&](const char* name, std::string_view value) {
    info += info.empty() ? "{\"" : ",\"";
    info += name;
    info += "\":";
    append_json_string(info, value);
  };
  field("provider", call->manifest != nullptr ? std::string_view(call->manifest->id) : std::string_view());
  field("connection_id", call->connection_id);
  field("workspace_id", call->workspace_id);
  field("project_id", call->project_id);
  field("request_id", call->request_id);
  field("action", call->action);
  info += ",\"config\":";
  info += call->config != nullptr && !call->config->empty() ? boost::json::serialize(*call->config) : "{}";
  if (const auto* t = call->trigger; t != nullptr) {
    info += ",\"trigger\":";
    info += boost::json::serialize(boost::json::object{{"slug", t->trigger},
                                                       {"subscription_id", t->subscription_id},
                                                       {"hook_url", t->hook_url},
                                                       {"config", t->config}});
  }
  info += '}';
  write(out, info);
  return PB_OK;
}

bool same_origin(std::string_view url, std::string_view base) {
  auto origin = [](std::string_view u) {
    auto p = u.find("://");
    if (p == std::string_view::npos) return std::string_view{};
    auto end = u.find_first_of("/?#", p + 3);
    return u.substr(0, end);
  };
  return !base.empty() && origin(url) == origin(base);
}

// The provider's way of saying the access token expired (its manifest's expiry rule).
bool is_expiry_signal(const pb_call& call, const OutboundResponse& r) {
  if (call.auth == nullptr || call.auth->type != "oauth2" || r.status != call.auth->expiry_status)
    return false;
  return call.auth->expiry_body_contains.empty() ||
         r.body.find(call.auth->expiry_body_contains) != std::string::npos;
}

// Decides whether a status is worth another attempt. 429 and 503 mean "not processed", so they
// are safe for any request; other listed statuses only for requests that may be repeated.
bool retryable(const pb_call& call, const std::string& method, int status) {
  const auto& statuses = call.manifest->retry.statuses;
  if (std::find(statuses.begin(), statuses.end(), status) == statuses.end()) return false;
  if (status == 429 || status == 503) return true;
  return call.idempotent || method == "GET" || method == "HEAD";
}

// How long the provider asked us to wait, from Retry-After (seconds) or a fallback backoff.
std::chrono::milliseconds wait_before_retry(const OutboundResponse& r, int attempt) {
  std::string ra = r.header("retry-after");
  if (!ra.empty() && std::all_of(ra.begin(), ra.end(), ::isdigit) && ra.size() < 7)
    return std::chrono::seconds(std::stol(ra));
  return std::chrono::milliseconds(200LL << std::min(attempt, 6));
}

OutboundRequest build_request(const pb_call& call, const pb_http_request& req) {
  OutboundRequest out;
  out.method = req.method != nullptr && *req.method != '\0' ? req.method : "GET";
  std::string url = req.url != nullptr ? req.url : "";
  const bool absolute = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
  if (!absolute) {
    std::string_view base = call.base_url;
    if (!base.empty() && base.back() == '/' && !url.empty() && url.front() == '/') base.remove_suffix(1);
    if (!url.empty() && url.front() != '/' && !base.empty() && base.back() != '/') url.insert(0, "/");
    url.insert(0, base);
  }
  // Credentials go only to the provider's own origin, never to an absolute URL elsewhere.
  const bool inject = call.injected != nullptr && (!absolute || same_origin(url, call.base_url));
  if (req.headers_json != nullptr && req.headers_json_len > 0) {
    // Parsed into a per-thread arena: no heap allocation for a plugin's few headers.
    thread_local unsigned char arena[8192];
    boost::json::monotonic_resource mr(arena, sizeof arena);
    boost::system::error_code ec;
    auto h = boost::json::parse(std::string_view(req.headers_json, req.headers_json_len), ec, &mr);
    if (ec || !h.is_object())
      throw TransportError(TransportError::Kind::bad_url, "headers_json is not a JSON object");
    for (const auto& kv : h.get_object())
      if (kv.value().is_string()) out.headers.emplace_back(kv.key(), std::string(kv.value().get_string()));
  }
  if (inject) {
    for (const auto& h : call.injected->headers) out.headers.push_back(h);
    if (!call.injected->query.empty()) {
      char sep = url.find('?') == std::string::npos ? '?' : '&';
      for (const auto& [k, v] : call.injected->query) {
        url += sep + url_encode(k) + "=" + url_encode(v);
        sep = '&';
      }
    }
  }
  out.url = std::move(url);
  if (req.body != nullptr) out.body.assign(req.body, req.body_len);
  return out;
}

int32_t host_http_request(pb_call* call, const pb_http_request* req, const pb_http_response* resp) {
  const pb_writer* body_out = resp != nullptr ? &resp->body : nullptr;
  if (call == nullptr || req == nullptr || call->http == nullptr) {
    write(body_out, "http_request needs a call and a request");
    return PB_HTTP_ERR_REFUSED;
  }
  try {
    OutboundRequest out = build_request(*call, *req);
    const int max_attempts = std::max(1, call->manifest->retry.max_attempts);
    for (int attempt = 1;; ++attempt) {
      auto left = call->remaining();
      if (req->timeout_ms > 0) left = std::min(left, std::chrono::milliseconds(req->timeout_ms));
      if (left.count() == 0) {
        write(body_out, "deadline passed before the request was sent");
        return PB_HTTP_ERR_DEADLINE;
      }
      OutboundResponse r = call->http->send(out, left);
      if (is_expiry_signal(*call, r) && !call->refreshed && call->refresher != nullptr) {
        call->refreshed = true;
        if (call->refresher->refresh()) {
          out = build_request(*call, *req);  // the same request with the new token
          continue;
        }
      }
      if (attempt < max_attempts && retryable(*call, out.method, r.status)) {
        auto wait = wait_before_retry(r, attempt);
        if (wait.count() <= call->manifest->retry.max_wait_ms &&
            wait + std::chrono::milliseconds(50) < call->remaining()) {
          spdlog::debug("[{}] request_id={} {} answered {}, retrying in {} ms", call->manifest->id,
                        call->request_id, out.method, r.status, wait.count());
          std::this_thread::sleep_for(wait);
          continue;
        }
      }
      if (resp != nullptr && resp->headers.write != nullptr) write(&resp->headers, headers_json(r.headers));
      write(body_out, r.body);
      return r.status;
    }
  } catch (const TransportError& e) {
    write(body_out, e.what());
    switch (e.kind) {
      case TransportError::Kind::timeout:
        return PB_HTTP_ERR_DEADLINE;
      case TransportError::Kind::bad_url:
        return PB_HTTP_ERR_REFUSED;
      default:
        return PB_HTTP_ERR_TRANSPORT;
    }
  } catch (const std::exception& e) {
    write(body_out, e.what());
    return PB_HTTP_ERR_TRANSPORT;
  }
}

const pb_host_api kHostApi = {
    PLUGBOARD_ABI_MAJOR, PLUGBOARD_ABI_MINOR, sizeof(pb_host_api), &host_log,
    &host_http_request,  &host_is_cancelled,  &host_remaining_ms,  &host_credentials,
    &host_call_info,     &host_state_get,     &host_state_set,
};

}  // namespace

const pb_host_api* host_api() { return &kHostApi; }

}  // namespace plugboard::execute

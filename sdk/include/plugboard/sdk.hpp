// Plugboard SDK — the C++ side of plugin.h, header-only.
//
// A plugin is a plugboard::Plugin with typed action handlers:
//
//   PLUGBOARD_PLUGIN(make_plugin) — where make_plugin() returns a plugboard::Plugin.
//
// Handlers take a Context (the host's services for this call) and the validated parameters,
// return a boost::json::value, and report failure by throwing plugboard::ActionError.
// Triggers (ABI 1.1) are registered the same way: polling_trigger() and webhook_trigger().
// Every exception is caught here, inside the plugin, and turned into an error object: none
// ever crosses the C boundary. Handlers run on many threads at once; keep them reentrant.
#pragma once

#include <plugboard/plugin.h>
#include <plugboard/trigger.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace plugboard {

namespace json = boost::json;

// A failure a handler reports to the caller. `code` is a stable machine-readable string
// (the provider's own code where there is one); `details` is shown to the API client.
struct ActionError {
  std::string code;
  std::string message;
  json::object details{};
};

namespace detail {
inline void append_to_string(void* ctx, const char* data, size_t len) {
  static_cast<std::string*>(ctx)->append(data, len);
}
inline pb_writer string_writer(std::string& s) { return pb_writer{&s, &append_to_string}; }
inline void write_all(const pb_writer* out, std::string_view s) {
  if (out != nullptr && out->write != nullptr) out->write(out->ctx, s.data(), s.size());
}
inline void write_error(const pb_writer* out, std::string_view code, std::string_view message,
                        const json::object& details = {}) {
  json::object e;
  e["code"] = code;
  e["message"] = message;
  e["details"] = details;
  write_all(out, json::serialize(e));
}
}  // namespace detail

// One HTTP exchange made through the host (see pb_http_request for what the host adds).
struct HttpRequest {
  std::string method = "GET";
  std::string url;  // relative to the provider's base URL, or absolute
  std::map<std::string, std::string> headers{};
  std::string body{};
  std::uint32_t timeout_ms = 0;  // 0: until the call's deadline

  // Convenience: a JSON body with its content type.
  static HttpRequest post_json(std::string url, const json::value& body) {
    HttpRequest r;
    r.method = "POST";
    r.url = std::move(url);
    r.headers["Content-Type"] = "application/json; charset=utf-8";
    r.body = json::serialize(body);
    return r;
  }
};

struct HttpResponse {
  int status = 0;              // HTTP status, or a negative PB_HTTP_ERR_*
  std::string body{};          // raw bytes, or the reason when status < 0
  std::string headers_json{};  // the host's JSON object of headers (lower-case names)

  // The response headers. Parsed on first use: most responses are read for their body only.
  const json::object& headers() const {
    if (!headers_) {
      boost::system::error_code ec;
      json::value h = json::parse(headers_json, ec);
      headers_ = !ec && h.is_object() ? std::move(h.get_object()) : json::object{};
    }
    return *headers_;
  }

  bool ok() const { return status >= 200 && status < 300; }
  // The body as JSON; throws ActionError{"INVALID_RESPONSE"} when it is not.
  json::value json() const {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec) {
      json::object d;
      d["status"] = status;
      throw ActionError{"INVALID_RESPONSE", "provider answered with a body that is not JSON", std::move(d)};
    }
    return v;
  }
  std::string header(std::string_view lower_name) const {
    const json::object& h = headers();
    auto it = h.find(lower_name);
    return it != h.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
  }

 private:
  mutable std::optional<json::object> headers_;
};

// The host's services for one call. Cheap to copy; valid only during the handler call.
class Context {
 public:
  Context(const pb_host_api* host, pb_call* call) : host_(host), call_(call) {}

  void log(pb_log_level level, std::string_view msg) const {
    host_->log(call_, level, msg.data(), msg.size());
  }
  void info(std::string_view msg) const { log(PB_LOG_INFO, msg); }
  void warn(std::string_view msg) const { log(PB_LOG_WARN, msg); }

  bool cancelled() const { return host_->is_cancelled(call_) != 0; }
  std::chrono::milliseconds remaining() const {
    return std::chrono::milliseconds(host_->remaining_ms(call_));
  }

  // Performs a request. A transport failure, a refused URL or a passed deadline throws
  // ActionError (PROVIDER_UNREACHABLE, EGRESS_REFUSED, DEADLINE_EXCEEDED); an HTTP error
  // status is returned for the handler to interpret.
  HttpResponse http(const HttpRequest& req) const {
    std::string headers_json;
    if (!req.headers.empty()) {  // written directly: this runs on every request a plugin makes
      headers_json += '{';
      for (const auto& [k, v] : req.headers) {
        if (headers_json.size() > 1) headers_json += ',';
        headers_json += json::serialize(json::string_view(k));
        headers_json += ':';
        headers_json += json::serialize(json::string_view(v));
      }
      headers_json += '}';
    }
    pb_http_request r{};
    r.struct_size = sizeof(pb_http_request);
    r.method = req.method.c_str();
    r.url = req.url.c_str();
    r.headers_json = headers_json.empty() ? nullptr : headers_json.data();
    r.headers_json_len = headers_json.size();
    r.body = req.body.empty() ? nullptr : req.body.data();
    r.body_len = req.body.size();
    r.timeout_ms = req.timeout_ms;

    HttpResponse resp;
    pb_http_response sink{detail::string_writer(resp.headers_json), detail::string_writer(resp.body)};
    resp.status = host_->http_request(call_, &r, &sink);
    if (resp.status < 0) throw transport_error(resp.status, resp.body);
    return resp;
  }

  // The connection's decrypted credentials; empty when the call has none.
  json::object credentials() const { return fetch_object(host_->credentials); }
  // {"provider","connection_id","workspace_id","project_id","request_id","config":{...}},
  // plus {"trigger":{"slug","subscription_id","hook_url","config":{...}}} in trigger hooks.
  json::object call_info() const { return fetch_object(host_->call_info); }

  // The trigger subscription's settings (e.g. which folder to watch); empty outside triggers.
  json::object trigger_config() const {
    json::object info = call_info();
    const auto* t = info.if_contains("trigger");
    const auto* c = t != nullptr && t->is_object() ? t->get_object().if_contains("config") : nullptr;
    return c != nullptr && c->is_object() ? c->get_object() : json::object{};
  }

  // The subscription's persistent state (a polling cursor): null until set_state stored one.
  json::value state() const {
    if (!host_has(offsetof(pb_host_api, state_get), host_ != nullptr ? host_->state_get : nullptr))
      throw ActionError{"NOT_SUPPORTED", "this host has no state service (ABI 1.1)"};
    std::string s;
    pb_writer w = detail::string_writer(s);
    if (host_->state_get(call_, &w) != PB_OK) return nullptr;
    boost::system::error_code ec;
    json::value v = json::parse(s, ec);
    return ec ? json::value(nullptr) : v;
  }
  // Replaces the state; inside a poll it is committed with the events the poll returns.
  void set_state(const json::value& v) const {
    if (!host_has(offsetof(pb_host_api, state_set), host_ != nullptr ? host_->state_set : nullptr))
      throw ActionError{"NOT_SUPPORTED", "this host has no state service (ABI 1.1)"};
    std::string s = json::serialize(v);
    if (host_->state_set(call_, s.data(), s.size()) != PB_OK)
      throw ActionError{"STATE_REJECTED", "the host refused the trigger state (not JSON or over 64 KiB)"};
  }

 private:
  using Fetch = int32_t (*)(pb_call*, const pb_writer*);
  // A member added in a later minor is there only when the host's table is long enough.
  template <class Fn>
  bool host_has(std::size_t offset, Fn fn) const {
    return host_ != nullptr && host_->struct_size >= offset + sizeof(fn) && fn != nullptr;
  }
  json::object fetch_object(Fetch fn) const {
    std::string s;
    pb_writer w = detail::string_writer(s);
    if (fn == nullptr || fn(call_, &w) != PB_OK) return {};
    boost::system::error_code ec;
    json::value v = json::parse(s, ec);
    return !ec && v.is_object() ? std::move(v.get_object()) : json::object{};
  }
  static ActionError transport_error(int status, const std::string& reason) {
    json::object d;
    d["reason"] = reason;
    d["retryable"] = status != PB_HTTP_ERR_REFUSED;
    if (status == PB_HTTP_ERR_DEADLINE)
      return {"DEADLINE_EXCEEDED", "the action ran out of time waiting for the provider", d};
    if (status == PB_HTTP_ERR_REFUSED)
      return {"EGRESS_REFUSED", "the request was refused before it was sent", d};
    return {"PROVIDER_UNREACHABLE", "the provider could not be reached", d};
  }

  const pb_host_api* host_;
  pb_call* call_;
};

using ActionHandler = std::function<json::value(Context&, const json::object& params)>;
using TestHandler = std::function<json::object(Context&)>;
// A polling trigger: the items new since the cursor in ctx.state(), which it moves with
// ctx.set_state(). `config` is the subscription's settings.
using PollHandler = std::function<std::vector<TriggerEvent>(Context&, const json::object& config)>;
// A webhook trigger: verifies one request and says what to answer and which events it carried.
using WebhookHandler = std::function<WebhookResult(Context&, const WebhookRequest&)>;
// Registers (or renews, when ctx.state() shows one) the provider's side of a subscription;
// returns {"expires_at":"..."} when it expires, or {}.
using SubscribeHandler = std::function<json::object(Context&)>;
using UnsubscribeHandler = std::function<void(Context&)>;

// A plugin: its provider id and the handlers it registers. Built once at entry, then frozen.
class Plugin {
 public:
  explicit Plugin(std::string provider) : provider_(std::move(provider)) {}

  Plugin& action(std::string slug, ActionHandler handler) {
    actions_[std::move(slug)] = std::move(handler);
    return *this;
  }
  Plugin& test_connection(TestHandler handler) {
    test_ = std::move(handler);
    return *this;
  }
  Plugin& polling_trigger(std::string slug, PollHandler handler) {
    Trigger& t = triggers_[std::move(slug)];
    t.poll = std::move(handler);
    return *this;
  }
  Plugin& webhook_trigger(std::string slug, WebhookHandler handler, SubscribeHandler subscribe = {},
                          UnsubscribeHandler unsubscribe = {}) {
    Trigger& t = triggers_[std::move(slug)];
    t.webhook = std::move(handler);
    t.subscribe = std::move(subscribe);
    t.unsubscribe = std::move(unsubscribe);
    return *this;
  }
  // The lowest host ABI minor this plugin needs: 0 unless it calls services added later.
  Plugin& min_host_minor(std::uint32_t minor) {
    min_host_minor_ = minor;
    return *this;
  }

  const std::string& provider() const { return provider_; }
  // Triggers need the 1.1 host (state service, trigger hooks).
  std::uint32_t min_host_minor() const {
    return triggers_.empty() ? min_host_minor_ : std::max<std::uint32_t>(min_host_minor_, 1);
  }
  bool has_test() const { return static_cast<bool>(test_); }
  bool has_triggers() const { return !triggers_.empty(); }
  bool has_subscriptions() const {
    for (const auto& [slug, t] : triggers_)
      if (t.subscribe || t.unsubscribe) return true;
    return false;
  }

  std::string describe() const {
    json::object o;
    o["provider"] = provider_;
    json::array a;
    for (const auto& [slug, h] : actions_) a.emplace_back(slug);
    o["actions"] = std::move(a);
    json::array t;
    for (const auto& [slug, h] : triggers_) t.emplace_back(slug);
    o["triggers"] = std::move(t);
    return json::serialize(o);
  }

  int32_t poll(const pb_host_api* host, pb_call* call, std::string_view slug, const pb_writer* out) const {
    const Trigger* t = find_trigger(slug, out, &Trigger::poll, "a polling trigger");
    if (t == nullptr) return PB_NOT_FOUND;
    return guarded(out, [&] {
      Context ctx(host, call);
      json::object o;
      o["events"] = to_json(t->poll(ctx, ctx.trigger_config()));
      return json::serialize(o);
    });
  }

  int32_t webhook(const pb_host_api* host, pb_call* call, std::string_view slug,
                  std::string_view request_json, const pb_writer* out) const {
    const Trigger* t = find_trigger(slug, out, &Trigger::webhook, "a webhook trigger");
    if (t == nullptr) return PB_NOT_FOUND;
    return guarded(out, [&] {
      boost::system::error_code ec;
      json::value req = json::parse(request_json, ec);
      if (ec || !req.is_object())
        throw ActionError{"INVALID_REQUEST", "the hook request is not a JSON object"};
      Context ctx(host, call);
      return json::serialize(t->webhook(ctx, WebhookRequest::from_json(req.get_object())).to_json());
    });
  }

  int32_t subscribe(const pb_host_api* host, pb_call* call, std::string_view slug,
                    const pb_writer* out) const {
    const Trigger* t = find_trigger(slug, out, nullptr, "");
    if (t == nullptr) return PB_NOT_FOUND;
    return guarded(out, [&] {
      Context ctx(host, call);
      return json::serialize(t->subscribe ? t->subscribe(ctx) : json::object{});
    });
  }

  int32_t unsubscribe(const pb_host_api* host, pb_call* call, std::string_view slug,
                      const pb_writer* out) const {
    const Trigger* t = find_trigger(slug, out, nullptr, "");
    if (t == nullptr) return PB_NOT_FOUND;
    return guarded(out, [&] {
      Context ctx(host, call);
      if (t->unsubscribe) t->unsubscribe(ctx);
      return std::string("{}");
    });
  }

  int32_t invoke(const pb_host_api* host, pb_call* call, std::string_view action,
                 std::string_view params_json, const pb_writer* out) const {
    auto it = actions_.find(std::string(action));
    if (it == actions_.end()) {
      detail::write_error(out, "ACTION_NOT_FOUND",
                          "plugin " + provider_ + " has no action " + std::string(action));
      return PB_NOT_FOUND;
    }
    return guarded(out, [&] {
      boost::system::error_code ec;
      json::value params = params_json.empty() ? json::value(json::object{}) : json::parse(params_json, ec);
      if (ec || !params.is_object())
        throw ActionError{"INVALID_PARAMETERS", "parameters must be a JSON object"};
      Context ctx(host, call);
      return json::serialize(it->second(ctx, params.get_object()));
    });
  }

  int32_t test(const pb_host_api* host, pb_call* call, const pb_writer* out) const {
    if (!test_) {
      detail::write_error(out, "NOT_SUPPORTED", "plugin " + provider_ + " has no connection test");
      return PB_NOT_FOUND;
    }
    return guarded(out, [&] {
      Context ctx(host, call);
      return json::serialize(test_(ctx));
    });
  }

 private:
  // Runs fn, writing its result on success or an error object for any exception.
  template <class Fn>
  int32_t guarded(const pb_writer* out, Fn&& fn) const {
    try {
      detail::write_all(out, fn());
      return PB_OK;
    } catch (const ActionError& e) {
      detail::write_error(out, e.code, e.message, e.details);
    } catch (const std::exception& e) {
      detail::write_error(out, "PLUGIN_EXCEPTION", provider_ + ": " + e.what());
    } catch (...) {
      detail::write_error(out, "PLUGIN_EXCEPTION", provider_ + ": unknown exception");
    }
    return PB_ERROR;
  }

  struct Trigger {
    PollHandler poll;
    WebhookHandler webhook;
    SubscribeHandler subscribe;
    UnsubscribeHandler unsubscribe;
  };

  // The trigger `slug`, when it exists and has the handler `member` (any trigger when null);
  // otherwise writes the error and returns null.
  template <class Member>
  const Trigger* find_trigger(std::string_view slug, const pb_writer* out, Member member,
                              std::string_view kind) const {
    auto it = triggers_.find(slug);
    if (it == triggers_.end()) {
      detail::write_error(out, "TRIGGER_NOT_FOUND",
                          "plugin " + provider_ + " has no trigger " + std::string(slug));
      return nullptr;
    }
    if constexpr (!std::is_same_v<Member, std::nullptr_t>) {
      if (!(it->second.*member)) {
        detail::write_error(
            out, "TRIGGER_NOT_FOUND",
            "trigger " + std::string(slug) + " of " + provider_ + " is not " + std::string(kind));
        return nullptr;
      }
    }
    return &it->second;
  }

  std::string provider_;
  std::map<std::string, ActionHandler, std::less<>> actions_;
  std::map<std::string, Trigger, std::less<>> triggers_;
  TestHandler test_;
  std::uint32_t min_host_minor_ = 0;
};

namespace detail {
// The single instance behind the C table. Function-local statics keep initialisation
// thread-safe and confined to the entry call.
struct Bound {
  const pb_host_api* host = nullptr;
  std::optional<Plugin> plugin;
  pb_plugin_api table{};
};
inline Bound& bound() {
  static Bound b;
  return b;
}
inline int32_t c_describe(const pb_writer* out) {
  try {
    write_all(out, bound().plugin->describe());
    return PB_OK;
  } catch (...) {
    return PB_ERROR;
  }
}
inline int32_t c_invoke(pb_call* call, const char* action, size_t action_len, const char* params,
                        size_t params_len, const pb_writer* out) {
  try {
    return bound().plugin->invoke(bound().host, call, std::string_view(action, action_len),
                                  std::string_view(params, params_len), out);
  } catch (...) {
    return PB_ERROR;
  }
}
inline int32_t c_test(pb_call* call, const pb_writer* out) {
  try {
    return bound().plugin->test(bound().host, call, out);
  } catch (...) {
    return PB_ERROR;
  }
}

inline int32_t c_poll(pb_call* call, const char* trigger, size_t trigger_len, const pb_writer* out) {
  try {
    return bound().plugin->poll(bound().host, call, std::string_view(trigger, trigger_len), out);
  } catch (...) {
    return PB_ERROR;
  }
}
inline int32_t c_webhook(pb_call* call, const char* trigger, size_t trigger_len, const char* request,
                         size_t request_len, const pb_writer* out) {
  try {
    return bound().plugin->webhook(bound().host, call, std::string_view(trigger, trigger_len),
                                   std::string_view(request, request_len), out);
  } catch (...) {
    return PB_ERROR;
  }
}
inline int32_t c_subscribe(pb_call* call, const char* trigger, size_t trigger_len, const pb_writer* out) {
  try {
    return bound().plugin->subscribe(bound().host, call, std::string_view(trigger, trigger_len), out);
  } catch (...) {
    return PB_ERROR;
  }
}
inline int32_t c_unsubscribe(pb_call* call, const char* trigger, size_t trigger_len, const pb_writer* out) {
  try {
    return bound().plugin->unsubscribe(bound().host, call, std::string_view(trigger, trigger_len), out);
  } catch (...) {
    return PB_ERROR;
  }
}

inline const pb_plugin_api* entry(const pb_host_api* host, Plugin (*make)()) {
  try {
    if (host == nullptr || host->abi_major != PLUGBOARD_ABI_MAJOR) return nullptr;
    Bound& b = bound();
    if (!b.plugin) {
      b.host = host;
      b.plugin.emplace(make());
      b.table.abi_major = PLUGBOARD_ABI_MAJOR;
      b.table.abi_minor = PLUGBOARD_ABI_MINOR;
      b.table.struct_size = sizeof(pb_plugin_api);
      b.table.min_host_minor = b.plugin->min_host_minor();
      b.table.describe = &c_describe;
      b.table.invoke_action = &c_invoke;
      b.table.test_connection = b.plugin->has_test() ? &c_test : nullptr;
      b.table.shutdown = nullptr;
      const bool triggers = b.plugin->has_triggers();
      b.table.poll = triggers ? &c_poll : nullptr;
      b.table.handle_webhook = triggers ? &c_webhook : nullptr;
      b.table.subscribe = b.plugin->has_subscriptions() ? &c_subscribe : nullptr;
      b.table.unsubscribe = b.plugin->has_subscriptions() ? &c_unsubscribe : nullptr;
    }
    return &b.table;
  } catch (const std::exception& e) {
    if (host != nullptr && host->log != nullptr) {
      std::string msg = std::string("plugin initialisation failed: ") + e.what();
      host->log(nullptr, PB_LOG_ERROR, msg.data(), msg.size());
    }
    return nullptr;
  } catch (...) {
    return nullptr;
  }
}
}  // namespace detail

}  // namespace plugboard

// Defines the library's entry symbol from a function returning the plugin. Use it once.
#define PLUGBOARD_PLUGIN(make_fn)                                                                    \
  extern "C" PLUGBOARD_EXPORT const pb_plugin_api* plugboard_plugin_entry(const pb_host_api* host) { \
    return ::plugboard::detail::entry(host, &(make_fn));                                             \
  }

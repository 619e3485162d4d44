// Plugboard SDK — the C++ side of plugin.h, header-only.
//
// A plugin is a plugboard::Plugin with typed action handlers:
//
//   PLUGBOARD_PLUGIN(make_plugin) — where make_plugin() returns a plugboard::Plugin.
//
// Handlers take a Context (the host's services for this call) and the validated parameters,
// return a boost::json::value, and report failure by throwing plugboard::ActionError.
// Every exception is caught here, inside the plugin, and turned into an error object: none
// ever crosses the C boundary. Handlers run on many threads at once; keep them reentrant.
#pragma once

#include <plugboard/plugin.h>

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

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
  // {"provider","connection_id","workspace_id","project_id","request_id","config":{...}}
  json::object call_info() const { return fetch_object(host_->call_info); }

 private:
  using Fetch = int32_t (*)(pb_call*, const pb_writer*);
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
  // The lowest host ABI minor this plugin needs: 0 unless it calls services added later.
  Plugin& min_host_minor(std::uint32_t minor) {
    min_host_minor_ = minor;
    return *this;
  }

  const std::string& provider() const { return provider_; }
  std::uint32_t min_host_minor() const { return min_host_minor_; }
  bool has_test() const { return static_cast<bool>(test_); }

  std::string describe() const {
    json::object o;
    o["provider"] = provider_;
    json::array a;
    for (const auto& [slug, h] : actions_) a.emplace_back(slug);
    o["actions"] = std::move(a);
    o["triggers"] = json::array{};
    return json::serialize(o);
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

  std::string provider_;
  std::map<std::string, ActionHandler, std::less<>> actions_;
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

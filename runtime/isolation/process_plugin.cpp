#include "isolation/process_plugin.hpp"

#include "execute/call.hpp"
#include "isolation/messages.hpp"
#include "isolation/plugin_process.hpp"
#include "isolation/restart_backoff.hpp"
#include "isolation/writers.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <shared_mutex>
#include <unordered_map>

namespace plugboard::isolation {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string error_json(std::string_view code, std::string_view message, boost::json::object details = {}) {
  details["isolation"] = "process";
  return boost::json::serialize(
      boost::json::object{{"code", code}, {"message", message}, {"details", details}});
}

std::mutex g_restarts_mutex;
std::map<std::string, std::uint64_t> g_restarts;

// The proxy for one plugin: which process serves it now, restarts, and the calls themselves.
class ProcessPlugin {
 public:
  ProcessPlugin(const plugins::Manifest& m, const pb_host_api* host, IsolationOptions o)
      : manifest_(m),
        host_(host),
        options_(std::move(o)),
        backoff_(options_.restart_backoff, options_.max_restart_backoff, options_.healthy_after) {}
  ~ProcessPlugin();

  // Starts the first child and points `plugin` at a table offering the hooks its hello lists.
  void start(plugins::LoadedPlugin& plugin);
  int32_t call(pb_call* call, std::string_view op, std::string_view name, std::string_view payload,
               const pb_writer* out);
  void child_died(const PluginProcess& child, const std::string& reason);

 private:
  std::shared_ptr<PluginProcess> start_child(boost::json::object* hooks) {
    return PluginProcess::start(
        manifest_, options_, host_,
        [this](const PluginProcess& p, const std::string& why) { child_died(p, why); }, hooks);
  }
  std::shared_ptr<PluginProcess> acquire(const pb_writer* out);
  void serve_host(PluginProcess& child, pb_call* call, const Message& m);

  const plugins::Manifest& manifest_;
  const pb_host_api* host_;
  IsolationOptions options_;
  std::atomic<std::uint64_t> next_id_{1};
  std::mutex state_mutex_;  // guards the fields below
  std::shared_ptr<PluginProcess> current_;
  RestartBackoff backoff_;
  Clock::time_point next_start_{};
  std::string last_death_;
  bool stopping_ = false;
  pb_plugin_api table_{};
};

// Which proxy serves a call: the call names its plugin by the manifest it carries.
std::shared_mutex g_proxies_mutex;
std::unordered_map<const plugins::Manifest*, ProcessPlugin*> g_proxies;

ProcessPlugin::~ProcessPlugin() {
  {
    std::unique_lock lock(g_proxies_mutex);
    g_proxies.erase(&manifest_);
  }
  std::shared_ptr<PluginProcess> last;
  {
    std::lock_guard lock(state_mutex_);
    stopping_ = true;
    last = std::move(current_);
  }
  last.reset();  // closes the socket, reaps the child, joins its reader
}

void ProcessPlugin::child_died(const PluginProcess& child, const std::string& reason) {
  std::lock_guard lock(state_mutex_);
  if (stopping_) return;
  const auto wait = backoff_.on_death(std::chrono::duration_cast<milliseconds>(Clock::now() - child.started));
  next_start_ = Clock::now() + wait;
  last_death_ = reason;
  spdlog::error("plugin {}: {}; restarting it in {} ms", manifest_.id, reason, wait.count());
}

std::shared_ptr<PluginProcess> ProcessPlugin::acquire(const pb_writer* out) {
  std::shared_ptr<PluginProcess> old;  // destroyed after the lock is released: its reader may want the lock
  std::lock_guard lock(state_mutex_);
  bool doomed = false;  // we killed it and its reader has not reported the death yet
  if (current_) {
    std::lock_guard child_lock(current_->mutex);
    if (!current_->dead && current_->kill_reason.empty()) return current_;
    doomed = !current_->dead;
  }
  const auto now = Clock::now();
  if (doomed || now < next_start_) {
    const auto left = doomed ? options_.restart_backoff.count()
                             : std::chrono::duration_cast<milliseconds>(next_start_ - now).count() + 1;
    write_to(out, error_json("PLUGIN_RESTARTING", "plugin process restarting",
                             {{"retry_after_ms", left}, {"last_failure", last_death_}}));
    return nullptr;
  }
  old = std::move(current_);
  try {
    current_ = start_child(nullptr);
  } catch (const std::exception& e) {
    const auto wait = backoff_.on_death(milliseconds(0));
    next_start_ = Clock::now() + wait;
    last_death_ = e.what();
    spdlog::error("{}; trying again in {} ms", e.what(), wait.count());
    write_to(out, error_json("PLUGIN_RESTARTING", "plugin process could not be restarted",
                             {{"reason", e.what()}}));
    return nullptr;
  }
  {
    std::lock_guard restarts(g_restarts_mutex);
    ++g_restarts[manifest_.id];
  }
  spdlog::info("plugin {}: process restarted (pid {})", manifest_.id, current_->pid);
  return current_;
}

void ProcessPlugin::serve_host(PluginProcess& child, pb_call* call, const Message& m) {
  const auto op = text_field(m, "op");
  Message reply = make_reply(static_cast<std::uint64_t>(int_field(m, "seq")), PB_ERROR);
  int32_t status = PB_ERROR;
  if (op == "http") {
    const std::string method(text_field(m, "method")), url(text_field(m, "url"));
    const auto& headers = blob(m, 0);
    const auto& body = blob(m, 1);
    pb_http_request req{sizeof(pb_http_request),
                        method.c_str(),
                        url.c_str(),
                        headers.empty() ? nullptr : headers.data(),
                        headers.size(),
                        body.empty() ? nullptr : body.data(),
                        body.size(),
                        static_cast<uint32_t>(int_field(m, "timeout_ms"))};
    std::string resp_headers, resp_body;
    pb_http_response resp{string_writer(resp_headers), string_writer(resp_body)};
    status = host_->http_request(call, &req, &resp);
    reply.blobs = {std::move(resp_headers), std::move(resp_body)};
  } else if (op == "state_set") {
    const auto& json = blob(m, 0);
    status = host_->state_set(call, json.data(), json.size());
  } else {
    std::string text;
    pb_writer w = string_writer(text);
    if (op == "credentials")
      status = host_->credentials(call, &w);
    else if (op == "call_info")
      status = host_->call_info(call, &w);
    else if (op == "state_get")
      status = host_->state_get(call, &w);
    else
      throw FrameError("unknown host request " + std::string(op));
    reply.blobs = {std::move(text)};
  }
  reply.head["status"] = status;
  try {
    child.send(reply);
  } catch (const FrameTooLarge& e) {  // the plugin gets a failure it can handle instead
    Message small =
        make_reply(reply.head.at("seq").as_uint64(), op == "http" ? PB_HTTP_ERR_TRANSPORT : PB_ERROR);
    small.blobs = {"", std::string("too large for an isolated plugin: ") + e.what()};
    child.send(small);
  }
}

int32_t ProcessPlugin::call(pb_call* call, std::string_view op, std::string_view name,
                            std::string_view payload, const pb_writer* out) {
  auto child = acquire(out);
  if (!child) return PB_ERROR;
  PendingCall p;
  p.call = call;
  const auto id = next_id_.fetch_add(1);
  {
    std::lock_guard lock(child->mutex);
    if (!child->dead) child->calls.emplace(id, &p);
  }
  struct Unregister {
    PluginProcess& c;
    std::uint64_t id;
    ~Unregister() {
      std::lock_guard lock(c.mutex);
      c.calls.erase(id);
    }
  } unregister{*child, id};
  try {
    child->send(make_call(id, op, name, host_->remaining_ms(call), std::string(payload)));
  } catch (const FrameTooLarge& e) {
    write_to(out,
             error_json("PAYLOAD_TOO_LARGE", std::string("too large for an isolated plugin: ") + e.what()));
    return PB_ERROR;
  } catch (const FrameError&) {
    // The child is gone; its reader reports why below.
  }
  std::unique_lock lock(child->mutex);
  for (;;) {
    const auto limit = Clock::now() + milliseconds(host_->remaining_ms(call)) + options_.kill_grace;
    const bool woke = p.cv.wait_until(lock, limit, [&] { return !p.inbox.empty() || child->dead; });
    if (!woke) {
      lock.unlock();
      child->kill("plugin process killed: a call to " + std::string(name) + " ran past its deadline");
      write_to(out,
               error_json("DEADLINE_EXCEEDED",
                          "Action exceeded its deadline; the plugin process did not return and was killed",
                          {{"retryable", true}, {"reason", "plugin process killed after its deadline"}}));
      return PB_ERROR;
    }
    if (p.inbox.empty()) {  // dead
      write_to(out, error_json("PLUGIN_CRASHED", child->death_reason));
      return PB_ERROR;
    }
    Message m = std::move(p.inbox.front());
    p.inbox.pop_front();
    lock.unlock();
    try {
      if (text_field(m, "t") == "done") {
        write_to(out, blob(m, 0));
        return static_cast<int32_t>(int_field(m, "status"));
      }
      serve_host(*child, call, m);
    } catch (const FrameError& e) {
      child->kill(std::string("plugin process broke the protocol: ") + e.what());
    }
    lock.lock();
  }
}

// The proxy behind a call, or an error written to `out`.
ProcessPlugin* proxy_for(pb_call* call, const pb_writer* out) {
  std::shared_lock lock(g_proxies_mutex);
  auto it = call != nullptr ? g_proxies.find(call->manifest) : g_proxies.end();
  if (it != g_proxies.end()) return it->second;
  write_to(out, error_json("PLUGIN_PROTOCOL_ERROR", "no plugin process serves this call"));
  return nullptr;
}

int32_t forward(pb_call* call, std::string_view op, std::string_view name, std::string_view payload,
                const pb_writer* out) {
  try {
    auto* p = proxy_for(call, out);
    return p != nullptr ? p->call(call, op, name, payload, out) : PB_ERROR;
  } catch (const std::exception& e) {  // nothing may throw across the table
    write_to(out, error_json("PLUGIN_PROTOCOL_ERROR", e.what()));
    return PB_ERROR;
  }
}

int32_t proxy_describe(const pb_writer* out) {
  write_to(out, error_json("NOT_SUPPORTED", "an isolated plugin is described by its process when it starts"));
  return PB_ERROR;
}
int32_t proxy_invoke(pb_call* call, const char* action, size_t action_len, const char* params,
                     size_t params_len, const pb_writer* out) {
  return forward(call, "action", {action, action_len}, {params, params_len}, out);
}
int32_t proxy_test(pb_call* call, const pb_writer* out) { return forward(call, "test", {}, {}, out); }
int32_t proxy_poll(pb_call* call, const char* t, size_t len, const pb_writer* out) {
  return forward(call, "poll", {t, len}, {}, out);
}
int32_t proxy_webhook(pb_call* call, const char* t, size_t len, const char* req, size_t req_len,
                      const pb_writer* out) {
  return forward(call, "webhook", {t, len}, {req, req_len}, out);
}
int32_t proxy_subscribe(pb_call* call, const char* t, size_t len, const pb_writer* out) {
  return forward(call, "subscribe", {t, len}, {}, out);
}
int32_t proxy_unsubscribe(pb_call* call, const char* t, size_t len, const pb_writer* out) {
  return forward(call, "unsubscribe", {t, len}, {}, out);
}

void ProcessPlugin::start(plugins::LoadedPlugin& plugin) {
  boost::json::object hooks;
  current_ = start_child(&hooks);
  auto has = [&](const char* k) {
    const auto* v = hooks.if_contains(k);
    return v != nullptr && v->is_bool() && v->get_bool();
  };
  table_.abi_major = PLUGBOARD_ABI_MAJOR;
  table_.abi_minor = PLUGBOARD_ABI_MINOR;
  table_.struct_size = sizeof(pb_plugin_api);
  table_.min_host_minor = 0;
  table_.describe = &proxy_describe;
  table_.invoke_action = &proxy_invoke;
  table_.test_connection = has("test_connection") ? &proxy_test : nullptr;
  table_.shutdown = nullptr;  // the child calls the plugin's own when its socket closes
  table_.poll = has("poll") ? &proxy_poll : nullptr;
  table_.handle_webhook = has("handle_webhook") ? &proxy_webhook : nullptr;
  table_.subscribe = has("subscribe") ? &proxy_subscribe : nullptr;
  table_.unsubscribe = has("unsubscribe") ? &proxy_unsubscribe : nullptr;
  plugin.api = &table_;
  plugin.hooks = plugins::trigger_hooks(&table_);
}

}  // namespace

std::shared_ptr<const plugins::LoadedPlugin> open_isolated(plugins::Manifest manifest,
                                                           const pb_host_api* host,
                                                           const IsolationOptions& options) {
  auto plugin = std::make_shared<plugins::LoadedPlugin>();
  plugin->manifest = std::move(manifest);
  auto proxy = std::make_shared<ProcessPlugin>(plugin->manifest, host, options);
  proxy->start(*plugin);
  if (!plugin->manifest.reentrant) plugin->serial = std::make_unique<std::mutex>();
  {
    std::unique_lock lock(g_proxies_mutex);
    g_proxies[&plugin->manifest] = proxy.get();
  }
  plugin->remote = std::move(proxy);
  return plugin;
}

std::map<std::string, std::uint64_t> restart_counts() {
  std::lock_guard lock(g_restarts_mutex);
  return g_restarts;
}

}  // namespace plugboard::isolation

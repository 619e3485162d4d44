#include "isolation/process_plugin.hpp"

#include "execute/call.hpp"
#include "isolation/child_process.hpp"
#include "isolation/messages.hpp"
#include "isolation/plugin_host.hpp"
#include "isolation/restart_backoff.hpp"
#include "isolation/writers.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace plugboard::isolation {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string error_json(std::string_view code, std::string_view message, boost::json::object details = {}) {
  details["isolation"] = "process";
  return boost::json::serialize(
      boost::json::object{{"code", code}, {"message", message}, {"details", details}});
}

// A plugin's log line that belongs to no call (its entry point, its own threads).
void log_without_call(const std::string& provider, int32_t level, std::string_view text) {
  spdlog::log(static_cast<spdlog::level::level_enum>(std::clamp<int32_t>(level, PB_LOG_TRACE, PB_LOG_ERROR)),
              "[{}] {}", provider, text);
}

std::mutex g_restarts_mutex;
std::map<std::string, std::uint64_t> g_restarts;

// One call waiting for its child: what the reader thread hands it.
struct Pending {
  pb_call* call = nullptr;
  std::deque<Message> inbox;
  std::condition_variable cv;
};

class ProcessPlugin;

// One running plugin host process and the thread that reads from it.
struct Child {
  ProcessPlugin* owner = nullptr;
  pid_t pid = -1;
  int fd = -1;
  Clock::time_point started = Clock::now();
  std::thread reader;
  std::mutex write_mutex;
  std::mutex mutex;  // guards the fields below
  std::unordered_map<std::uint64_t, Pending*> calls;
  bool reaped_pid = false;  // waitpid returned: the pid may belong to someone else now
  bool dead = false;        // reaped and reported: calls on it fail with death_reason
  std::string death_reason;
  std::string kill_reason;  // set when we killed it, which then explains its death
  std::condition_variable reaped;

  ~Child();
  void send(const Message& m) {
    std::lock_guard lock(write_mutex);
    write_frame(fd, m);
  }
  void kill(std::string reason) {
    std::lock_guard lock(mutex);
    if (reaped_pid) return;
    if (kill_reason.empty()) kill_reason = std::move(reason);
    ::kill(pid, SIGKILL);
  }
  void read_loop(const pb_host_api* host, const std::string& provider);
};

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
  void child_died(const Child& child, const std::string& reason);

 private:
  std::shared_ptr<Child> start_child(boost::json::object* hooks);
  std::shared_ptr<Child> acquire(const pb_writer* out);
  void serve_host(Child& child, pb_call* call, const Message& m);

  const plugins::Manifest& manifest_;
  const pb_host_api* host_;
  IsolationOptions options_;
  std::atomic<std::uint64_t> next_id_{1};
  std::mutex state_mutex_;  // guards the fields below
  std::shared_ptr<Child> current_;
  RestartBackoff backoff_;
  Clock::time_point next_start_{};
  std::string last_death_;
  bool stopping_ = false;
  pb_plugin_api table_{};
};

// Which proxy serves a call: the call names its plugin by the manifest it carries.
std::shared_mutex g_proxies_mutex;
std::unordered_map<const plugins::Manifest*, ProcessPlugin*> g_proxies;

Child::~Child() {
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);  // the child reads the end of its stream and exits
  if (reader.joinable()) {
    std::unique_lock lock(mutex);
    // Its main thread only reads, so it leaves at once; one that does not is made to.
    if (!reaped.wait_for(lock, std::chrono::seconds(2), [this] { return dead; }) && !reaped_pid)
      ::kill(pid, SIGKILL);
    lock.unlock();
    reader.join();
  }
  if (fd >= 0) ::close(fd);
}

void Child::read_loop(const pb_host_api* host, const std::string& provider) {
  std::string protocol_error;
  try {
    Message m;
    while (read_frame(fd, m)) {
      const auto t = text_field(m, "t");
      if (t != "done" && t != "host") throw FrameError("unexpected message type " + std::string(t));
      const auto id = static_cast<std::uint64_t>(int_field(m, "id"));
      std::lock_guard lock(mutex);
      auto it = calls.find(id);
      if (t == "host" && text_field(m, "op") == "log") {
        const auto level = static_cast<int32_t>(int_field(m, "level"));
        const auto& text = blob(m, 0);
        if (it != calls.end())
          host->log(it->second->call, level, text.data(), text.size());
        else
          log_without_call(provider, level, text);
        continue;
      }
      if (it == calls.end()) continue;  // a call that already gave up (its deadline passed)
      it->second->inbox.push_back(std::move(m));
      it->second->cv.notify_one();
    }
  } catch (const std::exception& e) {
    protocol_error = e.what();
    ::kill(pid, SIGKILL);  // a child that breaks the protocol cannot be trusted with more calls
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string reason;
  {
    std::lock_guard lock(mutex);
    reaped_pid = true;
    reason = kill_reason;
  }
  if (reason.empty() && !protocol_error.empty())
    reason = "plugin process broke the protocol: " + protocol_error;
  if (reason.empty() && WIFEXITED(status) && WEXITSTATUS(status) == kOutOfMemoryExit)
    reason = "plugin process ran out of memory (memory_limit_mb reached)";
  if (reason.empty())
    reason = WIFSIGNALED(status) ? "plugin process crashed: " + describe_wait_status(status)
                                 : "plugin process exited: " + describe_wait_status(status);
  owner->child_died(*this, reason);
  std::lock_guard lock(mutex);
  dead = true;
  death_reason = reason;
  for (auto& [id, p] : calls) p->cv.notify_one();
  reaped.notify_all();
}

ProcessPlugin::~ProcessPlugin() {
  {
    std::unique_lock lock(g_proxies_mutex);
    g_proxies.erase(&manifest_);
  }
  std::shared_ptr<Child> last;
  {
    std::lock_guard lock(state_mutex_);
    stopping_ = true;
    last = std::move(current_);
  }
  last.reset();  // closes the socket, reaps the child, joins its reader
}

std::shared_ptr<Child> ProcessPlugin::start_child(boost::json::object* hooks) {
  std::vector<std::string> args{"--fd",
                                "3",
                                "--manifest",
                                manifest_.file.string(),
                                "--memory-limit-mb",
                                std::to_string(options_.memory_limit_mb)};
  const auto binary = options_.host_binary.empty() ? default_host_binary() : options_.host_binary;
  SpawnedChild s;
  try {
    s = spawn_with_socket(binary, args);
  } catch (const std::exception& e) {
    throw plugins::LoadError("plugin " + manifest_.id + ": cannot start its process: " + e.what());
  }
  auto child = std::make_shared<Child>();
  child->owner = this;
  child->pid = s.pid;
  child->fd = s.fd;
  // The first frame says whether the plugin loaded. Until it arrives, the child is not serving.
  auto fail = [&](const std::string& why) -> plugins::LoadError {
    ::kill(s.pid, SIGKILL);
    int status = 0;
    ::waitpid(s.pid, &status, 0);
    ::close(s.fd);
    child->fd = -1;
    return plugins::LoadError("plugin " + manifest_.id + " (isolation: process): " + why);
  };
  // Log lines the plugin writes while it loads come first; then hello, or why it refused.
  const auto until = Clock::now() + options_.start_timeout;
  Message hello;
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now()).count();
    pollfd pfd{s.fd, POLLIN, 0};
    if (left <= 0 || ::poll(&pfd, 1, static_cast<int>(left)) <= 0)
      throw fail("no answer from its process within " + std::to_string(options_.start_timeout.count()) +
                 " ms");
    try {
      if (!read_frame(s.fd, hello))
        throw fail("its process exited before loading the plugin (is " + binary.string() +
                   " a plugboard-plugin-host of this version?)");
      const auto* t = hello.head.if_contains("t");
      if (t == nullptr || !t->is_string() || t->get_string() != "host") break;
      if (text_field(hello, "op") == "log")
        log_without_call(manifest_.id, static_cast<int32_t>(int_field(hello, "level")), blob(hello, 0));
    } catch (const FrameError& e) {
      throw fail(std::string("its process broke the protocol: ") + e.what());
    }
  }
  const auto t = hello.head.if_contains("t");
  if (t != nullptr && t->is_string() && t->get_string() == "refused") {
    const auto* msg = hello.head.if_contains("message");
    throw fail(msg != nullptr && msg->is_string() ? std::string(msg->get_string()) : "refused");
  }
  const auto* h = hello.head.if_contains("hooks");
  if (t == nullptr || !t->is_string() || t->get_string() != "hello" || h == nullptr || !h->is_object())
    throw fail("its process did not say hello");
  if (hooks != nullptr) *hooks = h->get_object();
  child->started = Clock::now();
  Child* raw = child.get();
  child->reader = std::thread([raw, host = host_, id = manifest_.id] { raw->read_loop(host, id); });
  return child;
}

void ProcessPlugin::child_died(const Child& child, const std::string& reason) {
  std::lock_guard lock(state_mutex_);
  if (stopping_) return;
  const auto wait = backoff_.on_death(std::chrono::duration_cast<milliseconds>(Clock::now() - child.started));
  next_start_ = Clock::now() + wait;
  last_death_ = reason;
  spdlog::error("plugin {}: {}; restarting it in {} ms", manifest_.id, reason, wait.count());
}

std::shared_ptr<Child> ProcessPlugin::acquire(const pb_writer* out) {
  std::shared_ptr<Child> old;  // destroyed after the lock is released: its reader may want the lock
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

void ProcessPlugin::serve_host(Child& child, pb_call* call, const Message& m) {
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
  Pending p;
  p.call = call;
  const auto id = next_id_.fetch_add(1);
  {
    std::lock_guard lock(child->mutex);
    if (!child->dead) child->calls.emplace(id, &p);
  }
  struct Unregister {
    Child& c;
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

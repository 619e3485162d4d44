#include "isolation/plugin_host.hpp"

#include "isolation/messages.hpp"
#include "isolation/writers.hpp"
#include "plugins/loader.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

#include <unistd.h>

namespace plugboard::isolation {
namespace {

using Clock = std::chrono::steady_clock;

// What a pb_call handle points at in this process: the runtime's call it stands for.
struct RemoteCall {
  std::uint64_t id = 0;
  Clock::time_point deadline;
};

RemoteCall* remote(pb_call* c) { return reinterpret_cast<RemoteCall*>(c); }

// The one connection to the runtime. Frames are written whole under a lock, as several worker
// threads answer and ask at once.
struct Link {
  int fd = -1;
  std::mutex write_mutex;
  std::mutex pending_mutex;
  std::uint64_t next_seq = 1;
  std::map<std::uint64_t, std::promise<Message>> pending;  // host requests awaiting a reply

  void send(const Message& m) {
    std::lock_guard lock(write_mutex);
    write_frame(fd, m);
  }
  // Sends a host request and waits for its reply. A runtime that goes away ends this process
  // (the reader sees the end of stream), so the wait needs no timeout of its own.
  Message ask(Message m) {
    std::future<Message> answer;
    std::uint64_t seq = 0;
    {
      std::lock_guard lock(pending_mutex);
      seq = next_seq++;
      m.head["seq"] = seq;
      answer = pending[seq].get_future();
    }
    try {
      send(m);
    } catch (const FrameError&) {
      std::lock_guard lock(pending_mutex);
      pending.erase(seq);
      throw;
    }
    return answer.get();
  }
  void answer(Message reply) {
    const auto seq = static_cast<std::uint64_t>(int_field(reply, "seq"));
    std::lock_guard lock(pending_mutex);
    auto it = pending.find(seq);
    if (it == pending.end()) throw FrameError("reply to unknown host request " + std::to_string(seq));
    it->second.set_value(std::move(reply));
    pending.erase(it);
  }
};

Link g_link;

Message request(pb_call* call, std::string_view op) {
  return make_host(call != nullptr ? remote(call)->id : 0, 0, op);
}

// Host services for one answer that is a JSON text (credentials, call_info, state_get).
int32_t ask_text(pb_call* call, std::string_view op, const pb_writer* out) {
  if (call == nullptr) return PB_NOT_FOUND;
  try {
    Message reply = g_link.ask(request(call, op));
    const auto status = static_cast<int32_t>(int_field(reply, "status"));
    if (status == PB_OK) write_to(out, blob(reply, 0));
    return status;
  } catch (const std::exception&) {
    return PB_ERROR;
  }
}

void remote_log(pb_call* call, int32_t level, const char* msg, size_t len) {
  Message m = request(call, "log");
  m.head["level"] = level;
  m.blobs.emplace_back(msg, len);
  try {
    g_link.send(m);
  } catch (const std::exception&) {  // the runtime is gone; the reader ends the process
  }
}

int32_t remote_is_cancelled(pb_call* call) {
  return call != nullptr && Clock::now() >= remote(call)->deadline;
}

int64_t remote_remaining_ms(pb_call* call) {
  if (call == nullptr) return 0;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(remote(call)->deadline - Clock::now());
  return left.count() > 0 ? left.count() : 0;
}

int32_t remote_credentials(pb_call* call, const pb_writer* out) { return ask_text(call, "credentials", out); }
int32_t remote_call_info(pb_call* call, const pb_writer* out) { return ask_text(call, "call_info", out); }
int32_t remote_state_get(pb_call* call, const pb_writer* out) { return ask_text(call, "state_get", out); }

int32_t remote_state_set(pb_call* call, const char* json, size_t len) {
  if (call == nullptr) return PB_NOT_FOUND;
  if (json == nullptr) return PB_ERROR;
  Message m = request(call, "state_set");
  m.blobs.emplace_back(json, len);
  try {
    return static_cast<int32_t>(int_field(g_link.ask(std::move(m)), "status"));
  } catch (const std::exception&) {
    return PB_ERROR;
  }
}

int32_t remote_http_request(pb_call* call, const pb_http_request* req, const pb_http_response* resp) {
  const pb_writer* body_out = resp != nullptr ? &resp->body : nullptr;
  if (call == nullptr || req == nullptr) {
    write_to(body_out, "http_request needs a call and a request");
    return PB_HTTP_ERR_REFUSED;
  }
  Message m = request(call, "http");
  m.head["method"] = req->method != nullptr ? req->method : "";
  m.head["url"] = req->url != nullptr ? req->url : "";
  m.head["timeout_ms"] = req->timeout_ms;
  m.blobs.emplace_back(req->headers_json != nullptr ? std::string(req->headers_json, req->headers_json_len)
                                                    : "");
  m.blobs.emplace_back(req->body != nullptr ? std::string(req->body, req->body_len) : "");
  try {
    Message reply = g_link.ask(std::move(m));
    if (resp != nullptr) write_to(&resp->headers, blob(reply, 0));
    write_to(body_out, blob(reply, 1));
    return static_cast<int32_t>(int_field(reply, "status"));
  } catch (const std::exception& e) {
    write_to(body_out, e.what());
    return PB_HTTP_ERR_TRANSPORT;
  }
}

const pb_host_api kRemoteHostApi = {
    PLUGBOARD_ABI_MAJOR,  PLUGBOARD_ABI_MINOR,  sizeof(pb_host_api),  &remote_log,
    &remote_http_request, &remote_is_cancelled, &remote_remaining_ms, &remote_credentials,
    &remote_call_info,    &remote_state_get,    &remote_state_set,
};

// Runs one call message against the plugin and sends its done message.
void run_call(const plugins::LoadedPlugin& plugin, const Message& m) {
  RemoteCall rc;
  rc.id = static_cast<std::uint64_t>(int_field(m, "id"));
  rc.deadline = Clock::now() + std::chrono::milliseconds(int_field(m, "remaining_ms"));
  const std::string op(text_field(m, "op"));
  const std::string_view name = text_field(m, "name");
  const std::string& payload = blob(m, 0);
  auto* call = reinterpret_cast<pb_call*>(&rc);
  std::string out;
  pb_writer w = string_writer(out);
  int32_t status = PB_NOT_FOUND;
  const auto& h = plugin.hooks;
  std::unique_lock<std::mutex> serial;
  if (plugin.serial) serial = std::unique_lock(*plugin.serial);
  try {
    if (op == "action")
      status = plugin.api->invoke_action(call, name.data(), name.size(), payload.data(), payload.size(), &w);
    else if (op == "test" && plugin.api->test_connection != nullptr)
      status = plugin.api->test_connection(call, &w);
    else if (op == "poll" && h.poll != nullptr)
      status = h.poll(call, name.data(), name.size(), &w);
    else if (op == "webhook" && h.handle_webhook != nullptr)
      status = h.handle_webhook(call, name.data(), name.size(), payload.data(), payload.size(), &w);
    else if (op == "subscribe" && h.subscribe != nullptr)
      status = h.subscribe(call, name.data(), name.size(), &w);
    else if (op == "unsubscribe" && h.unsubscribe != nullptr)
      status = h.unsubscribe(call, name.data(), name.size(), &w);
    else
      out = R"({"code":"NOT_SUPPORTED","message":"the plugin has no such hook"})";
  } catch (...) {
    status = PB_ERROR;
    out = R"({"code":"PLUGIN_EXCEPTION","message":"plugin threw across the ABI boundary"})";
  }
  try {
    g_link.send(make_done(rc.id, status, std::move(out)));
  } catch (const FrameTooLarge& e) {
    g_link.send(make_done(
        rc.id, PB_ERROR,
        boost::json::serialize(boost::json::object{
            {"code", "RESULT_TOO_LARGE"},
            {"message", std::string("the plugin's answer cannot leave its process: ") + e.what()}})));
  }
}

// Worker threads for calls: one is started whenever a call arrives and none is idle, so a call
// never waits behind another (a slow call must not hold up the rest, as in process).
class Workers {
 public:
  explicit Workers(const plugins::LoadedPlugin& plugin) : plugin_(plugin) {}
  void submit(Message m) {
    std::unique_lock lock(mutex_);
    queue_.push_back(std::move(m));
    ++busy_;
    if (idle_ > 0) {
      cv_.notify_one();
      return;
    }
    try {
      std::thread([this] { loop(); }).detach();
    } catch (const std::system_error&) {
      // No thread to be had (the memory limit, say): a running worker takes the call when it is
      // free; with none at all the call is refused rather than left waiting.
      if (busy_ > 1) return;
      Message refused = std::move(queue_.back());
      queue_.pop_back();
      --busy_;
      lock.unlock();
      g_link.send(
          make_done(static_cast<std::uint64_t>(int_field(refused, "id")), PB_ERROR,
                    R"({"code":"PLUGIN_HOST_OVERLOADED","message":"plugin process cannot start a thread"})"));
    }
  }
  bool busy() {
    std::lock_guard lock(mutex_);
    return busy_ > 0;
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      while (queue_.empty()) {
        ++idle_;
        cv_.wait(lock);
        --idle_;
      }
      Message m = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      try {
        run_call(plugin_, m);
      } catch (const std::exception&) {  // a malformed call or a dead runtime: nothing to answer
      }
      lock.lock();
      --busy_;
    }
  }
  const plugins::LoadedPlugin& plugin_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Message> queue_;
  int idle_ = 0;
  int busy_ = 0;
};

boost::json::object hooks_of(const plugins::LoadedPlugin& p) {
  return {{"poll", p.hooks.poll != nullptr},
          {"handle_webhook", p.hooks.handle_webhook != nullptr},
          {"subscribe", p.hooks.subscribe != nullptr},
          {"unsubscribe", p.hooks.unsubscribe != nullptr},
          {"test_connection", p.api->test_connection != nullptr}};
}

}  // namespace

int serve_plugin(int fd, const std::filesystem::path& manifest_file) {
  g_link.fd = fd;
  std::shared_ptr<const plugins::LoadedPlugin> plugin;
  try {
    plugin = plugins::Loader(&kRemoteHostApi).load(manifest_file);
  } catch (const std::exception& e) {
    Message m;
    m.head = {{"t", "refused"}, {"message", e.what()}};
    try {
      g_link.send(m);
    } catch (const std::exception&) {
    }
    return kLoadFailedExit;
  }
  Message hello;
  hello.head = {{"t", "hello"}, {"hooks", hooks_of(*plugin)}};
  g_link.send(hello);

  auto* workers = new Workers(*plugin);  // never freed: detached workers may still use it at exit
  try {
    Message m;
    while (read_frame(fd, m)) {
      const auto t = text_field(m, "t");
      if (t == "call")
        workers->submit(std::move(m));
      else if (t == "reply")
        g_link.answer(std::move(m));
      else
        throw FrameError("unexpected message type " + std::string(t));
    }
  } catch (const std::exception&) {
    ::_exit(2);  // a broken link: there is nobody left to tell
  }
  // The runtime closed the socket (shutdown or reload). A call still running may be stuck in
  // plugin code, which must not be unmapped under it: leave without unloading then.
  if (workers->busy()) ::_exit(0);
  plugin.reset();  // calls the plugin's shutdown()
  return 0;
}

}  // namespace plugboard::isolation

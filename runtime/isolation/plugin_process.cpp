#include "isolation/plugin_process.hpp"

#include "isolation/child_process.hpp"
#include "isolation/messages.hpp"
#include "isolation/plugin_host.hpp"
#include "plugins/loader.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>

#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace plugboard::isolation {
namespace {

using std::chrono::milliseconds;

// A plugin's log line that belongs to no call (its entry point, its own threads).
void log_without_call(const std::string& provider, int32_t level, std::string_view text) {
  spdlog::log(static_cast<spdlog::level::level_enum>(std::clamp<int32_t>(level, PB_LOG_TRACE, PB_LOG_ERROR)),
              "[{}] {}", provider, text);
}

}  // namespace

void PluginProcess::kill(std::string reason) {
  std::lock_guard lock(mutex);
  if (reaped_pid) return;
  if (kill_reason.empty()) kill_reason = std::move(reason);
  ::kill(pid, SIGKILL);
}

PluginProcess::~PluginProcess() {
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);  // the child reads the end of its stream and exits
  if (reader_.joinable()) {
    std::unique_lock lock(mutex);
    // Its main thread only reads, so it leaves at once; one that does not is made to.
    if (!reaped_.wait_for(lock, std::chrono::seconds(2), [this] { return dead; }) && !reaped_pid)
      ::kill(pid, SIGKILL);
    lock.unlock();
    reader_.join();
  }
  if (fd >= 0) ::close(fd);
}

void PluginProcess::read_loop() {
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
          host_->log(it->second->call, level, text.data(), text.size());
        else
          log_without_call(provider_, level, text);
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
  on_exit_(*this, reason);
  std::lock_guard lock(mutex);
  dead = true;
  death_reason = reason;
  for (auto& [id, p] : calls) p->cv.notify_one();
  reaped_.notify_all();
}

std::shared_ptr<PluginProcess> PluginProcess::start(const plugins::Manifest& manifest,
                                                    const IsolationOptions& options, const pb_host_api* host,
                                                    ExitHandler on_exit, boost::json::object* hooks) {
  std::vector<std::string> args{"--fd",
                                "3",
                                "--manifest",
                                manifest.file.string(),
                                "--memory-limit-mb",
                                std::to_string(options.memory_limit_mb)};
  const auto binary = options.host_binary.empty() ? default_host_binary() : options.host_binary;
  SpawnedChild s;
  try {
    s = spawn_with_socket(binary, args);
  } catch (const std::exception& e) {
    throw plugins::LoadError("plugin " + manifest.id + ": cannot start its process: " + e.what());
  }
  auto child = std::make_shared<PluginProcess>();
  child->host_ = host;
  child->provider_ = manifest.id;
  child->on_exit_ = std::move(on_exit);
  child->pid = s.pid;
  child->fd = s.fd;
  // The first frame says whether the plugin loaded. Until it arrives, the child is not serving.
  auto fail = [&](const std::string& why) -> plugins::LoadError {
    ::kill(s.pid, SIGKILL);
    int status = 0;
    ::waitpid(s.pid, &status, 0);
    ::close(s.fd);
    child->fd = -1;
    return plugins::LoadError("plugin " + manifest.id + " (isolation: process): " + why);
  };
  // Log lines the plugin writes while it loads come first; then hello, or why it refused.
  const auto until = Clock::now() + options.start_timeout;
  Message hello;
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now()).count();
    pollfd pfd{s.fd, POLLIN, 0};
    if (left <= 0 || ::poll(&pfd, 1, static_cast<int>(left)) <= 0)
      throw fail("no answer from its process within " + std::to_string(options.start_timeout.count()) +
                 " ms");
    try {
      if (!read_frame(s.fd, hello))
        throw fail("its process exited before loading the plugin (is " + binary.string() +
                   " a plugboard-plugin-host of this version?)");
      const auto* t = hello.head.if_contains("t");
      if (t == nullptr || !t->is_string() || t->get_string() != "host") break;
      if (text_field(hello, "op") == "log")
        log_without_call(manifest.id, static_cast<int32_t>(int_field(hello, "level")), blob(hello, 0));
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
  PluginProcess* raw = child.get();  // the reader never outlives it: the destructor joins it
  child->reader_ = std::thread([raw] { raw->read_loop(); });
  return child;
}

}  // namespace plugboard::isolation

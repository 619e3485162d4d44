// One running plugboard-plugin-host for one plugin, and the thread that reads from it. The
// reader hands each frame to the call it belongs to (calls are multiplexed by id) and logs the
// plugin's log lines; when the process ends it reaps it, works out why, tells the owner and
// fails every call still waiting on it.
#pragma once

#include "isolation/frame.hpp"
#include "isolation/isolation_options.hpp"
#include "plugins/manifest.hpp"

#include <plugboard/plugin.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include <sys/types.h>

namespace plugboard::isolation {

// One call waiting on a process: what the reader thread hands it, under PluginProcess::mutex.
struct PendingCall {
  pb_call* call = nullptr;
  std::deque<Message> inbox;
  std::condition_variable cv;
};

struct PluginProcess {
  using Clock = std::chrono::steady_clock;
  // Called on the reader thread once the process has been reaped, before waiting calls fail.
  using ExitHandler = std::function<void(const PluginProcess&, const std::string& reason)>;

  // Starts the host for `manifest` and waits for its hello, which lists the hooks the plugin
  // has (into `hooks` when given). Throws plugins::LoadError with the child's reason.
  static std::shared_ptr<PluginProcess> start(const plugins::Manifest& manifest,
                                              const IsolationOptions& options, const pb_host_api* host,
                                              ExitHandler on_exit, boost::json::object* hooks);
  // Closes the socket, which the process takes as the order to stop; reaps it; joins the reader.
  ~PluginProcess();

  void send(const Message& m) {
    std::lock_guard lock(write_mutex_);
    write_frame(fd, m);
  }
  // SIGKILL, with the reason every call on it will be given.
  void kill(std::string reason);

  pid_t pid = -1;
  int fd = -1;
  Clock::time_point started = Clock::now();
  std::mutex mutex;  // guards the fields below
  std::unordered_map<std::uint64_t, PendingCall*> calls;
  bool reaped_pid = false;  // waitpid returned: the pid may belong to someone else now
  bool dead = false;        // reaped and reported: calls on it fail with death_reason
  std::string death_reason;
  std::string kill_reason;  // set when we killed it, which then explains its death

 private:
  void read_loop();

  const pb_host_api* host_ = nullptr;
  std::string provider_;
  ExitHandler on_exit_;
  std::thread reader_;
  std::mutex write_mutex_;
  std::condition_variable reaped_;
};

}  // namespace plugboard::isolation

// Worker threads for durable, scheduled work whose schedule lives in the store (trigger polls
// and renewals, automation runs): each thread asks `run_one` to claim and run one due item
// with a lease, and sleeps a tick when there was none or until wake(). The loop holds no
// state of its own: after a restart, or on another node, it simply picks up what is due.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace plugboard::events {

class DueWorkLoop {
 public:
  // run_one claims and runs at most one due item and returns how many ran; `name` labels
  // its log lines.
  DueWorkLoop(std::string name, std::function<std::size_t()> run_one, int workers,
              std::chrono::milliseconds tick = std::chrono::milliseconds(1000));
  ~DueWorkLoop();
  DueWorkLoop(const DueWorkLoop&) = delete;
  DueWorkLoop& operator=(const DueWorkLoop&) = delete;

  void start();
  // Lets running items finish, then joins. Safe to call twice.
  void stop();
  // Looks for due work now (a new item was queued).
  void wake();

 private:
  void loop();

  std::string name_;
  std::function<std::size_t()> run_one_;
  int workers_;
  std::chrono::milliseconds tick_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::uint64_t wakes_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace plugboard::events

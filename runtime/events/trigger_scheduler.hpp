// Runs due polls and renewals of trigger subscriptions. The schedule lives in the store
// (next_run_at, claimed with a lease), so this holds no state of its own: after a restart, or
// on another node, it simply picks up what is due.
#pragma once

#include "events/trigger_service.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace plugboard::events {

class TriggerScheduler {
 public:
  // `workers` threads each claim due work; `tick` is how often an idle worker looks again.
  TriggerScheduler(TriggerService& triggers, std::string node, int workers,
                   std::chrono::milliseconds tick = std::chrono::milliseconds(1000));
  ~TriggerScheduler();
  TriggerScheduler(const TriggerScheduler&) = delete;
  TriggerScheduler& operator=(const TriggerScheduler&) = delete;

  void start();
  // Lets running polls finish, then joins. Safe to call twice.
  void stop();
  // Looks for due work now (a new subscription's first poll, say).
  void wake();

 private:
  void loop();

  TriggerService& triggers_;
  std::string node_;
  int workers_;
  std::chrono::milliseconds tick_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::uint64_t wakes_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace plugboard::events

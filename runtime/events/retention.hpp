// Retention of the event log and the webhook delivery log (config `retention.*`): without it
// both grow for ever. A background thread deletes, at start and then every interval, events
// older than events_days that every consumer has already taken, and finished (success or
// failed) deliveries older than deliveries_days. Work still owed is never pruned: an
// undispatched event or a pending or retrying delivery stays whatever its age. Deletes go in
// small batches so the writer lock is never held for long. Any node may run it: deleting twice
// is harmless.
#pragma once

#include "store/repositories.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace plugboard::events {

struct RetentionOptions {
  std::int64_t events_days = 30;      // 0: keep events for ever
  std::int64_t deliveries_days = 30;  // 0: keep deliveries for ever
  std::chrono::seconds interval{3600};
};

struct Pruned {
  std::int64_t events = 0;
  std::int64_t deliveries = 0;
};

class RetentionTask {
 public:
  RetentionTask(store::Store& store, RetentionOptions options);
  ~RetentionTask();
  RetentionTask(const RetentionTask&) = delete;
  RetentionTask& operator=(const RetentionTask&) = delete;

  void start();
  void stop();  // idempotent; waits for a pass in progress

  // One pass with `now` as the clock (tests pass their own).
  Pruned prune_once(std::chrono::system_clock::time_point now);

 private:
  void loop();

  store::Store& store_;
  RetentionOptions options_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace plugboard::events

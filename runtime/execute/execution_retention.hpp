// Keeps the execution log from growing without bound: records older than retention_days are
// deleted by a background thread every prune_interval, in bounded batches so no transaction
// holds the database for long. (Payloads are capped when recorded: see max_payload_bytes.)
// Any number of nodes may prune the same database; deleting an old row twice is harmless.
#pragma once

#include "store/repositories.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace plugboard::execute {

// Config `executions.*`.
struct ExecutionLogOptions {
  int retention_days = 30;               // 0: keep every record
  std::size_t max_payload_bytes = 8192;  // of parameters and of result, per record
  std::chrono::seconds prune_interval{3600};
};

class ExecutionRetention {
 public:
  ExecutionRetention(store::Store& store, ExecutionLogOptions options);
  ~ExecutionRetention();
  ExecutionRetention(const ExecutionRetention&) = delete;
  ExecutionRetention& operator=(const ExecutionRetention&) = delete;

  // Prunes at once, then every prune_interval. Does nothing when retention_days is 0.
  void start();
  void stop();  // idempotent
  // Deletes what is older than retention_days before `now`; returns how many records.
  std::int64_t prune_once(std::chrono::system_clock::time_point now);

 private:
  void loop();

  store::Store& store_;
  ExecutionLogOptions options_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace plugboard::execute

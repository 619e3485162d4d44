// Execution records leave the request path through a queue and reach the store in batches,
// one transaction per batch, from one background thread. The request path never waits on
// the database; a full queue drops the oldest-unwritten records with a counted warning rather
// than blocking clients.
#pragma once

#include "auth/api_key_service.hpp"
#include "observability/execution_metrics.hpp"
#include "store/repositories.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

namespace plugboard::execute {

class ExecutionLog {
 public:
  // `metrics` (optional) counts each record as it is written, off the request path.
  ExecutionLog(store::Store& store, auth::ApiKeyService& keys,
               observability::ExecutionMetrics* metrics = nullptr,
               std::chrono::milliseconds flush_every = std::chrono::milliseconds(200),
               std::size_t max_queued = 100000);
  ~ExecutionLog();  // flushes what is queued
  ExecutionLog(const ExecutionLog&) = delete;
  ExecutionLog& operator=(const ExecutionLog&) = delete;

  void record(store::Execution e);
  // Writes everything queued now (tests, shutdown).
  void flush();
  std::uint64_t dropped() const { return dropped_.load(); }

 private:
  void run();
  void write_batch(std::vector<store::Execution>& batch);

  store::Store& store_;
  auth::ApiKeyService& keys_;
  observability::ExecutionMetrics* metrics_;
  std::chrono::milliseconds flush_every_;
  std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable flushed_;
  std::deque<store::Execution> queue_;
  std::uint64_t enqueued_ = 0, written_ = 0;
  bool stopping_ = false;
  bool flush_requested_ = false;
  std::atomic<std::uint64_t> dropped_{0};
  std::thread worker_;
};

}  // namespace plugboard::execute

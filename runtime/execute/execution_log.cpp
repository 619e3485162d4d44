#include "execute/execution_log.hpp"

#include <spdlog/spdlog.h>

namespace plugboard::execute {

ExecutionLog::ExecutionLog(store::Store& store, auth::ApiKeyService& keys,
                           observability::ExecutionMetrics* metrics, std::chrono::milliseconds flush_every,
                           std::size_t max_queued)
    : store_(store),
      keys_(keys),
      metrics_(metrics),
      flush_every_(flush_every),
      max_queued_(max_queued),
      worker_([this] { run(); }) {}

ExecutionLog::~ExecutionLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

void ExecutionLog::record(store::Execution e) {
  std::lock_guard lock(mutex_);
  if (queue_.size() >= max_queued_) {
    queue_.pop_front();
    if (metrics_ != nullptr) metrics_->dropped(1);
    if (dropped_.fetch_add(1) % 1000 == 0)
      spdlog::warn("execution log queue full ({} records): dropping records", max_queued_);
  }
  queue_.push_back(std::move(e));
  ++enqueued_;
}

void ExecutionLog::flush() {
  std::unique_lock lock(mutex_);
  const auto target = enqueued_;
  flush_requested_ = true;
  wake_.notify_all();
  flushed_.wait(lock, [&] { return written_ + dropped_.load() >= target || stopping_; });
}

void ExecutionLog::write_batch(std::vector<store::Execution>& batch) {
  if (metrics_ != nullptr)
    for (const auto& e : batch)
      metrics_->observe(e.provider, e.action, e.status, std::chrono::milliseconds(e.duration_ms));
  try {
    if (!batch.empty()) store_.executions().insert_batch(batch);
    if (auto used = keys_.take_last_used(); !used.empty()) store_.api_keys().touch(used);
  } catch (const std::exception& e) {
    spdlog::error("writing {} execution records failed: {}", batch.size(), e.what());
  }
}

void ExecutionLog::run() {
  std::vector<store::Execution> batch;
  for (;;) {
    bool stop = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, flush_every_,
                     [&] { return stopping_ || flush_requested_ || queue_.size() >= 500; });
      stop = stopping_;
      flush_requested_ = false;
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
      queue_.clear();
    }
    write_batch(batch);
    {
      std::lock_guard lock(mutex_);
      written_ += batch.size();
    }
    flushed_.notify_all();
    batch.clear();
    if (stop) return;
  }
}

}  // namespace plugboard::execute

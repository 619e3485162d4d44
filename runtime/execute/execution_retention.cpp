#include "execute/execution_retention.hpp"

#include "store/iso_time.hpp"

#include <spdlog/spdlog.h>

namespace plugboard::execute {
namespace {

constexpr std::int64_t kBatch = 2000;  // rows per delete transaction

}  // namespace

ExecutionRetention::ExecutionRetention(store::Store& store, ExecutionLogOptions options)
    : store_(store), options_(options) {}

ExecutionRetention::~ExecutionRetention() { stop(); }

void ExecutionRetention::start() {
  if (options_.retention_days <= 0 || thread_.joinable()) return;
  thread_ = std::thread([this] { loop(); });
}

void ExecutionRetention::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::int64_t ExecutionRetention::prune_once(std::chrono::system_clock::time_point now) {
  if (options_.retention_days <= 0) return 0;
  const std::string before = store::to_iso(now - std::chrono::hours(24) * options_.retention_days);
  std::int64_t total = 0;
  for (;;) {
    const auto n = store_.executions().prune_before(before, kBatch);
    total += n;
    if (n < kBatch) break;
    std::lock_guard lock(mutex_);
    if (stopping_) break;
  }
  if (total > 0) spdlog::info("execution log retention: deleted {} record(s) older than {}", total, before);
  return total;
}

void ExecutionRetention::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    try {
      prune_once(std::chrono::system_clock::now());
    } catch (const std::exception& e) {
      spdlog::error("execution log retention failed (retrying in {} s): {}", options_.prune_interval.count(),
                    e.what());
    }
    lock.lock();
    cv_.wait_for(lock, options_.prune_interval, [this] { return stopping_; });
  }
}

}  // namespace plugboard::execute

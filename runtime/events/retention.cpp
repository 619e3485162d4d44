#include "events/retention.hpp"

#include "store/iso_time.hpp"

#include <spdlog/spdlog.h>

namespace plugboard::events {

namespace {

// Rows per DELETE: short write transactions, so deliveries and events keep flowing meanwhile.
constexpr std::int64_t kBatch = 500;

template <class PruneFn>
std::int64_t prune_all(PruneFn&& prune) {
  std::int64_t total = 0;
  for (;;) {
    const auto n = prune(kBatch);
    total += n;
    if (n < kBatch) return total;
  }
}

}  // namespace

RetentionTask::RetentionTask(store::Store& store, RetentionOptions options)
    : store_(store), options_(options) {}

RetentionTask::~RetentionTask() { stop(); }

void RetentionTask::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void RetentionTask::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Pruned RetentionTask::prune_once(std::chrono::system_clock::time_point now) {
  using days = std::chrono::hours;
  Pruned out;
  if (options_.events_days > 0) {
    const auto cutoff = store::to_iso(now - days(24 * options_.events_days));
    out.events = prune_all([&](std::int64_t n) { return store_.events().prune(cutoff, n); });
  }
  if (options_.deliveries_days > 0) {
    const auto cutoff = store::to_iso(now - days(24 * options_.deliveries_days));
    out.deliveries = prune_all([&](std::int64_t n) { return store_.deliveries().prune(cutoff, n); });
  }
  return out;
}

void RetentionTask::loop() {
  for (;;) {
    try {
      const auto p = prune_once(std::chrono::system_clock::now());
      if (p.events > 0 || p.deliveries > 0)
        spdlog::info(
            "retention: deleted {} event(s) older than {} days and {} delivery(ies) older than {} days",
            p.events, options_.events_days, p.deliveries, options_.deliveries_days);
    } catch (const std::exception& e) {
      spdlog::error("retention: pruning failed, trying again next interval: {}", e.what());
    }
    std::unique_lock lock(mutex_);
    if (cv_.wait_for(lock, options_.interval, [this] { return stopping_; })) return;
  }
}

}  // namespace plugboard::events

#include "events/trigger_scheduler.hpp"

#include <spdlog/spdlog.h>

namespace plugboard::events {

TriggerScheduler::TriggerScheduler(TriggerService& triggers, std::string node, int workers,
                                   std::chrono::milliseconds tick)
    : triggers_(triggers), node_(std::move(node)), workers_(std::max(1, workers)), tick_(tick) {}

TriggerScheduler::~TriggerScheduler() { stop(); }

void TriggerScheduler::start() {
  for (int i = 0; i < workers_; ++i) threads_.emplace_back([this] { loop(); });
}

void TriggerScheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void TriggerScheduler::wake() {
  {
    std::lock_guard lock(mutex_);
    ++wakes_;
  }
  cv_.notify_all();
}

void TriggerScheduler::loop() {
  std::uint64_t seen_wakes = 0;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      seen_wakes = wakes_;
    }
    std::size_t ran = 0;
    try {
      ran = triggers_.run_due(node_, 1);  // one at a time, so the other workers share the rest
    } catch (const std::exception& e) {
      spdlog::error("trigger scheduler: {}", e.what());
    }
    if (ran > 0) continue;
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, tick_, [&] { return stopping_ || wakes_ != seen_wakes; });
  }
}

}  // namespace plugboard::events

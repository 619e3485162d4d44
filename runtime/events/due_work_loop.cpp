#include "events/due_work_loop.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace plugboard::events {

DueWorkLoop::DueWorkLoop(std::string name, std::function<std::size_t()> run_one, int workers,
                         std::chrono::milliseconds tick)
    : name_(std::move(name)), run_one_(std::move(run_one)), workers_(std::max(1, workers)), tick_(tick) {}

DueWorkLoop::~DueWorkLoop() { stop(); }

void DueWorkLoop::start() {
  for (int i = 0; i < workers_; ++i) threads_.emplace_back([this] { loop(); });
}

void DueWorkLoop::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void DueWorkLoop::wake() {
  {
    std::lock_guard lock(mutex_);
    ++wakes_;
  }
  cv_.notify_all();
}

void DueWorkLoop::loop() {
  std::uint64_t seen_wakes = 0;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      seen_wakes = wakes_;
    }
    std::size_t ran = 0;
    try {
      ran = run_one_();  // one at a time, so the other workers share the rest
    } catch (const std::exception& e) {
      spdlog::error("{}: {}", name_, e.what());
    }
    if (ran > 0) continue;
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, tick_, [&] { return stopping_ || wakes_ != seen_wakes; });
  }
}

}  // namespace plugboard::events

#include "app/change_watcher.hpp"

#include "store/iso_time.hpp"

#include <spdlog/spdlog.h>

namespace plugboard::app {

namespace {
constexpr std::int64_t kBatch = 500;
}

ChangeWatcher::ChangeWatcher(store::ChangeFeedRepository& feed, ChangeWatcherOptions options)
    : feed_(feed), options_(options) {}

ChangeWatcher::~ChangeWatcher() { stop(); }

void ChangeWatcher::on(const std::string& topic, Handler handler) { handlers_[topic] = std::move(handler); }

void ChangeWatcher::on_reset(std::function<void()> reset) { reset_ = std::move(reset); }

void ChangeWatcher::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void ChangeWatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::size_t ChangeWatcher::poll_once() {
  const auto now = std::chrono::steady_clock::now();
  try {
    if (!positioned_) {
      last_seq_ = feed_.latest();
      positioned_ = true;
      last_ok_ = now;
      return 0;
    }
    // Out of touch for longer than rows are kept: what was missed may be gone, so forget all.
    if (now - last_ok_ > options_.keep / 2 && reset_) {
      spdlog::warn("change feed not read for {} s; clearing every cache",
                   std::chrono::duration_cast<std::chrono::seconds>(now - last_ok_).count());
      reset_();
      last_ok_ = now;  // once per outage, not on every poll of it
    }
    std::size_t handled = 0;
    for (;;) {
      const auto changes = feed_.after(last_seq_, kBatch);
      for (const auto& c : changes) {
        if (auto it = handlers_.find(c.topic); it != handlers_.end()) it->second(c.key);
        last_seq_ = c.seq;
        ++handled;
      }
      if (static_cast<std::int64_t>(changes.size()) < kBatch) break;
    }
    last_ok_ = now;
    prune_if_due();
    return handled;
  } catch (const std::exception& e) {
    spdlog::warn("cannot read the change feed: {}", e.what());
    return 0;
  }
}

void ChangeWatcher::prune_if_due() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_prune_ < std::chrono::seconds(60)) return;
  last_prune_ = now;
  feed_.prune(store::to_iso(std::chrono::system_clock::now() - options_.keep));
}

void ChangeWatcher::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    poll_once();
    lock.lock();
    cv_.wait_for(lock, options_.interval, [this] { return stopping_; });
  }
}

}  // namespace plugboard::app

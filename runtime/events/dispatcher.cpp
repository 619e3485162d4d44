#include "events/dispatcher.hpp"

#include "events/event_service.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace plugboard::events {

Dispatcher::Dispatcher(store::Store& store, std::chrono::milliseconds retry_after)
    : store_(store), retry_after_(retry_after) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::add_consumer(EventConsumer& consumer) {
  if (thread_.joinable())
    throw std::logic_error("event consumers must be added before the dispatcher starts");
  consumers_.push_back(&consumer);
}

void Dispatcher::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
    woken_ = true;  // drain what the last run left
  }
  thread_ = std::thread([this] { run(); });
}

void Dispatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Dispatcher::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_one();
}

std::size_t Dispatcher::drain_once(std::size_t limit) {
  const auto batch = store_.events().undispatched(static_cast<std::int64_t>(limit));
  std::vector<std::int64_t> done;
  done.reserve(batch.size());
  try {
    for (const auto& record : batch) {
      const Event e = event_from(record);
      for (auto* c : consumers_) c->enqueue(e);
      done.push_back(record.seq);
    }
  } catch (...) {
    store_.events().mark_dispatched(done);  // keep what did get through
    throw;
  }
  store_.events().mark_dispatched(done);
  return done.size();
}

void Dispatcher::run() {
  constexpr std::size_t kBatch = 256;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      // The timeout is a safety net only (an event stored by another process, say): stored
      // events wake the thread at once.
      cv_.wait_for(lock, std::chrono::seconds(5), [this] { return woken_ || stopping_; });
      if (stopping_) return;
      woken_ = false;
    }
    try {
      while (drain_once(kBatch) == kBatch) {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
      }
    } catch (const std::exception& e) {
      spdlog::error("event dispatch failed, retrying in {} ms: {}", retry_after_.count(), e.what());
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, retry_after_, [this] { return stopping_; });
      woken_ = true;
    }
  }
}

}  // namespace plugboard::events

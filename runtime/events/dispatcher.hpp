// Hands every stored event to every consumer (outbound webhooks, automations), in the order
// the events were stored, on one thread. Its only state is the events table's dispatched
// flag: an event is marked once every consumer has queued its work, so a crash in between
// repeats the enqueue after the restart (consumers are idempotent per event id) and loses
// nothing. A consumer that fails (its store is down) stops the batch there; the dispatcher
// waits and tries the same event again, so order is kept.
#pragma once

#include "events/event.hpp"
#include "store/repositories.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace plugboard::events {

class Dispatcher {
 public:
  explicit Dispatcher(store::Store& store, std::chrono::milliseconds retry_after = std::chrono::seconds(1));
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Before start() only: consumers are fixed while the thread runs. Not owned; they must
  // outlive stop().
  void add_consumer(EventConsumer& consumer);

  // Starts the thread, which first drains whatever a previous run left undispatched.
  void start();
  // Finishes the batch in hand and joins. Idempotent.
  void stop();
  // A new event was stored. Cheap, never blocks on the dispatcher's work.
  void wake();

  // One pass over up to `limit` undispatched events, on the calling thread (tests). Returns
  // how many were dispatched.
  std::size_t drain_once(std::size_t limit = 256);

 private:
  void run();

  store::Store& store_;
  std::chrono::milliseconds retry_after_;
  std::vector<EventConsumer*> consumers_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace plugboard::events

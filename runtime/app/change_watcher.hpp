// Hears the changes other nodes publish to the store's change feed (auth/change_feed.hpp) and
// drops the affected cache entries, so a revoked key or a changed connection stops being used
// on every node within one poll interval (default 200 ms). It polls rather than waiting on
// LISTEN/NOTIFY so that SQLite and PostgreSQL behave alike; a poll reads only rows newer than
// the last seen, through the primary key.
//
// If the watcher could not poll for longer than the feed keeps rows (changes may have been
// pruned unseen), or the database was unreachable, it calls the reset handler, which clears
// every cache. Old rows are pruned here too, by whichever node gets there first.
#pragma once

#include "store/repositories.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace plugboard::app {

struct ChangeWatcherOptions {
  std::chrono::milliseconds interval{200};
  std::chrono::seconds keep{600};  // how long feed rows are kept
};

class ChangeWatcher {
 public:
  using Handler = std::function<void(const std::string& key)>;
  ChangeWatcher(store::ChangeFeedRepository& feed, ChangeWatcherOptions options = {});
  ~ChangeWatcher();
  ChangeWatcher(const ChangeWatcher&) = delete;
  ChangeWatcher& operator=(const ChangeWatcher&) = delete;

  // Before start(): what to do with each topic's changes, and how to forget everything.
  void on(const std::string& topic, Handler handler);
  void on_reset(std::function<void()> reset);

  // Starts from the feed's current end: this node's caches are empty, so older changes are moot.
  void start();
  void stop();  // idempotent

  // One poll on the calling thread (tests); returns how many changes were handled.
  std::size_t poll_once();

 private:
  void loop();
  void prune_if_due();

  store::ChangeFeedRepository& feed_;
  ChangeWatcherOptions options_;
  std::map<std::string, Handler> handlers_;
  std::function<void()> reset_;
  std::int64_t last_seq_ = 0;
  bool positioned_ = false;
  std::chrono::steady_clock::time_point last_ok_;
  std::chrono::steady_clock::time_point last_prune_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace plugboard::app

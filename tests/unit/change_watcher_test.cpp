// Cache invalidation between nodes: a change published through one store (one node) reaches
// the handlers of a watcher on another store opened on the same SQLite file, exactly once and
// in order; the running watcher hears it within its poll interval; old rows are pruned; and a
// watcher that lost touch with the feed for longer than rows are kept clears everything.
#include "app/change_watcher.hpp"
#include "auth/change_feed.hpp"
#include "store/iso_time.hpp"
#include "two_nodes.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

using namespace plugboard;
using namespace std::chrono_literals;

namespace {

class ChangeWatcherTest : public test::TwoNodes {
 protected:
  void record(app::ChangeWatcher& w, const std::string& topic) {
    w.on(topic, [this, topic](const std::string& key) {
      std::lock_guard lock(mutex_);
      heard_.push_back(topic + ":" + key);
    });
  }
  std::vector<std::string> heard() {
    std::lock_guard lock(mutex_);
    return heard_;
  }

  std::mutex mutex_;
  std::vector<std::string> heard_;
};

}  // namespace

TEST_F(ChangeWatcherTest, HearsOtherNodesChangesOnceInOrderAndNotThoseBeforeItStarted) {
  auth::publish_change(*node_a_, auth::topics::kApiKey, "old-key");  // before B was watching
  app::ChangeWatcher watcher(node_b_->change_feed());
  record(watcher, auth::topics::kApiKey);
  record(watcher, auth::topics::kConnection);
  EXPECT_EQ(watcher.poll_once(), 0u);  // positions at the end of the feed
  auth::publish_change(*node_a_, auth::topics::kApiKey, "k1");
  auth::publish_change(*node_a_, auth::topics::kConnection, "c1");
  auth::publish_change(*node_a_, "some_future_topic", "x");  // no handler: skipped, not fatal
  EXPECT_EQ(watcher.poll_once(), 3u);
  EXPECT_EQ(watcher.poll_once(), 0u);
  EXPECT_EQ(heard(), (std::vector<std::string>{"api_key:k1", "connection:c1"}));
}

TEST_F(ChangeWatcherTest, ARunningWatcherHearsAChangeWithinItsInterval) {
  app::ChangeWatcher watcher(node_b_->change_feed(), {.interval = 50ms});
  std::atomic<bool> got{false};
  watcher.on(auth::topics::kConnection, [&](const std::string& key) {
    if (key == "c9") got = true;
  });
  watcher.start();
  std::this_thread::sleep_for(150ms);  // positioned
  const auto sent = std::chrono::steady_clock::now();
  auth::publish_change(*node_a_, auth::topics::kConnection, "c9");
  while (!got && std::chrono::steady_clock::now() - sent < 2s) std::this_thread::sleep_for(5ms);
  const auto took = std::chrono::steady_clock::now() - sent;
  watcher.stop();
  ASSERT_TRUE(got);
  EXPECT_LT(took, 500ms);
}

TEST_F(ChangeWatcherTest, PruneRemovesOnlyRowsOlderThanTheCutoff) {
  auto& feed = node_a_->change_feed();
  feed.append("connection", "old", "2020-01-01T00:00:00Z");
  const auto kept = feed.append("connection", "new", store::now_iso());
  EXPECT_EQ(feed.prune(store::to_iso(std::chrono::system_clock::now() - 1h)), 1);
  const auto rest = feed.after(0, 10);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].seq, kept);
  EXPECT_EQ(rest[0].key, "new");
  EXPECT_EQ(feed.latest(), kept);
}

TEST_F(ChangeWatcherTest, ResetsEveryCacheAfterLosingTouchForLongerThanRowsAreKept) {
  app::ChangeWatcher watcher(node_b_->change_feed(), {.interval = 10ms, .keep = 0s});
  int resets = 0;
  watcher.on_reset([&] { ++resets; });
  watcher.poll_once();  // positions
  std::this_thread::sleep_for(5ms);
  watcher.poll_once();
  EXPECT_EQ(resets, 1);
}

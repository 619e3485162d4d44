// The event log and the delivery log in a temp SQLite store: producers' repeats (same
// external_id) are stored once, and retention deletes what is old and finished, never work
// still owed.
#include "auth/service_error.hpp"
#include "auth/tenancy_service.hpp"
#include "events/event_service.hpp"
#include "events/retention.hpp"
#include "store/iso_time.hpp"
#include "store/open_store.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

namespace fs = std::filesystem;
using namespace plugboard;
using std::chrono::hours;

namespace {

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("pb-events-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    store_ = store::open_store("sqlite://" + (dir_ / "plugboard.db").string());
    store_->workspaces().create({"ws1", "acme", store::now_iso()});
    tenancy_ = std::make_unique<auth::TenancyService>(*store_);
    events_ = std::make_unique<events::EventService>(*store_, *tenancy_, [this] { ++wakes_; });
  }
  void TearDown() override {
    events_.reset();
    tenancy_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  events::EventInput input(const std::string& type, const std::string& external_id = "") {
    events::EventInput in;
    in.workspace_id = "ws1";
    in.type = type;
    in.external_id = external_id;
    return in;
  }

  // An event stored `age` ago, dispatched or not.
  std::string old_event(hours age, bool dispatched) {
    store::EventRecord r;
    r.id = "evt_" + std::to_string(++n_);
    r.workspace_id = "ws1";
    r.type = "record_created";
    r.source = "api";
    r.created_at = r.occurred_at = store::to_iso(now_ - age);
    store_->events().append(r);
    if (dispatched) store_->events().mark_dispatched({store_->events().get(r.id)->seq});
    return r.id;
  }

  std::string old_delivery(const std::string& webhook_id, hours age, const std::string& status) {
    store::WebhookDelivery d;
    d.id = "dlv_" + std::to_string(++n_);
    d.webhook_id = webhook_id;
    d.event_id = "evt_for_" + d.id;
    d.event_type = "record_created";
    d.payload_json = "{}";
    d.status = status;
    d.created_at = d.updated_at = store::to_iso(now_ - age);
    EXPECT_TRUE(store_->deliveries().enqueue(d));
    return d.id;
  }

  std::string webhook() {
    store::WebhookRecord w;
    w.id = "wh_" + std::to_string(++n_);
    w.workspace_id = "ws1";
    w.name = w.url = "x";
    w.sealed_secret = "sealed";
    w.created_at = w.updated_at = store::now_iso();
    store_->webhooks().create(w);
    return w.id;
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<auth::TenancyService> tenancy_;
  std::unique_ptr<events::EventService> events_;
  std::atomic<int> wakes_{0};
  int n_ = 0;
  std::chrono::system_clock::time_point now_ = std::chrono::system_clock::now();
};

}  // namespace

TEST_F(EventLogTest, ARepeatedExternalIdReturnsTheStoredEvent) {
  const auto first = events_->record(input("record_created", "row-1001-v1"));
  EXPECT_TRUE(first.created);
  EXPECT_EQ(wakes_, 1);
  const auto again = events_->record(input("record_created", "row-1001-v1"));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.event.id, first.event.id);
  EXPECT_EQ(wakes_, 1) << "a repeat must not wake the dispatcher: nothing new to fan out";
  EXPECT_EQ(store_->events().undispatched(100).size(), 1u);

  // Another source (a provider trigger) may use the same id for its own event.
  auto from_trigger = input("record_created", "row-1001-v1");
  from_trigger.source = "trigger:sub_1";
  EXPECT_TRUE(events_->record(from_trigger).created);
  // No external_id: every POST is a new event.
  EXPECT_NE(events_->record(input("record_created")).event.id,
            events_->record(input("record_created")).event.id);
}

TEST_F(EventLogTest, AnExternalIdReusedForAnotherTypeIsAConflict) {
  events_->record(input("record_created", "x-1"));
  try {
    events_->record(input("record_deleted", "x-1"));
    FAIL() << "no conflict";
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.code, "conflict");
    EXPECT_EQ(e.field, "external_id");
  }
}

TEST_F(EventLogTest, RacingRepeatsStoreOneEvent) {
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::set<std::string> ids;
  std::atomic<int> created{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      const auto r = events_->record(input("record_created", "same"));
      if (r.created) ++created;
      std::lock_guard lock(mutex);
      ids.insert(r.event.id);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(created, 1);
  EXPECT_EQ(ids.size(), 1u);
}

TEST_F(EventLogTest, RetentionDeletesOldFinishedWorkOnly) {
  const auto old_done = old_event(hours(24 * 40), true);
  const auto old_owed = old_event(hours(24 * 40), false);  // not yet handed to every consumer
  const auto recent = old_event(hours(24 * 2), true);
  const auto w = webhook();
  const auto old_success = old_delivery(w, hours(24 * 40), "success");
  const auto old_failed = old_delivery(w, hours(24 * 40), "failed");
  const auto old_retrying = old_delivery(w, hours(24 * 40), "retrying");
  const auto old_pending = old_delivery(w, hours(24 * 40), "pending");
  const auto recent_success = old_delivery(w, hours(24 * 2), "success");

  events::RetentionTask task(*store_, {.events_days = 30, .deliveries_days = 30});
  const auto pruned = task.prune_once(now_);
  EXPECT_EQ(pruned.events, 1);
  EXPECT_EQ(pruned.deliveries, 2);
  EXPECT_FALSE(store_->events().get(old_done));
  EXPECT_TRUE(store_->events().get(old_owed));
  EXPECT_TRUE(store_->events().get(recent));
  EXPECT_FALSE(store_->deliveries().get(old_success));
  EXPECT_FALSE(store_->deliveries().get(old_failed));
  EXPECT_TRUE(store_->deliveries().get(old_retrying));
  EXPECT_TRUE(store_->deliveries().get(old_pending));
  EXPECT_TRUE(store_->deliveries().get(recent_success));

  // The recent ones go once they are old enough; a second pass finds nothing else.
  const auto later =
      events::RetentionTask(*store_, {.events_days = 1, .deliveries_days = 1}).prune_once(now_);
  EXPECT_EQ(later.events, 1);
  EXPECT_EQ(later.deliveries, 1);
  EXPECT_EQ(task.prune_once(now_).events, 0);
}

TEST_F(EventLogTest, RetentionZeroKeepsForEverAndBatchesLargeBacklogs) {
  for (int i = 0; i < 1203; ++i) old_event(hours(24 * 400), true);
  events::RetentionTask keep(*store_, {.events_days = 0, .deliveries_days = 0});
  EXPECT_EQ(keep.prune_once(now_).events, 0);
  events::RetentionTask prune(*store_, {.events_days = 365, .deliveries_days = 365});
  EXPECT_EQ(prune.prune_once(now_).events, 1203);  // three batches of up to 500
}

TEST_F(EventLogTest, TheTaskPrunesInTheBackground) {
  const auto id = old_event(hours(24 * 40), true);
  events::RetentionTask task(*store_,
                             {.events_days = 30, .deliveries_days = 30, .interval = std::chrono::seconds(1)});
  task.start();  // the first pass runs at once
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (store_->events().get(id) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  task.stop();
  EXPECT_FALSE(store_->events().get(id));
}

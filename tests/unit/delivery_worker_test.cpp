// The delivery worker's bookkeeping in a temp SQLite store, against a real HTTP receiver
// (Poco's, in this process, on 127.0.0.1): what each outcome writes to the outbox row and to
// the webhook (success, retry at the jittered time, failure after the budget, the failure
// streak that switches a webhook off), and the lease that keeps two workers off one row.
#include "events/delivery_worker.hpp"
#include "auth/tenancy_service.hpp"
#include "events/webhook_consumer.hpp"
#include "events/webhook_service.hpp"
#include "events/webhook_signature.hpp"
#include "net/http_client.hpp"
#include "store/iso_time.hpp"
#include "store/open_store.hpp"
#include "vault/vault.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <deque>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

namespace fs = std::filesystem;
using namespace plugboard;
using std::chrono::milliseconds;

namespace {

struct Received {
  std::string delivery_id, timestamp, signature, event, body;
};

// Answers with the scripted statuses in order, then 200; records what arrived.
struct Script {
  std::mutex mutex;
  std::deque<int> statuses;
  std::vector<Received> received;
};

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(Script& s) : script_(s) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    Received r;
    Poco::StreamCopier::copyToString(req.stream(), r.body);
    r.delivery_id = req.get("X-Plugboard-Delivery", "");
    r.timestamp = req.get("X-Plugboard-Timestamp", "");
    r.signature = req.get("X-Plugboard-Signature", "");
    r.event = req.get("X-Plugboard-Event", "");
    int status = 200;
    {
      std::lock_guard lock(script_.mutex);
      if (!script_.statuses.empty()) {
        status = script_.statuses.front();
        script_.statuses.pop_front();
      }
      script_.received.push_back(std::move(r));
    }
    const std::string text = status < 300 ? "OK" : "no";
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    resp.setContentLength(static_cast<std::streamsize>(text.size()));
    resp.send() << text;
  }

 private:
  Script& script_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(Script& s) : script_(s) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler(script_);
  }

 private:
  Script& script_;
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class DeliveryWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("pb-delivery-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    store_ = store::open_store("sqlite://" + (dir_ / "plugboard.db").string());
    store_->workspaces().create({"ws1", "acme", store::now_iso()});
    tenancy_ = std::make_unique<auth::TenancyService>(*store_);
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(script_), socket,
                                                      new Poco::Net::HTTPServerParams);
    server_->start();
    url_ = "http://127.0.0.1:" + std::to_string(server_->port()) + "/hook";
    options_.egress.allow_loopback = true;
    options_.disable_after_failures = 2;
    options_.timeout = milliseconds(2000);
    sender_ = std::make_unique<events::WebhookSender>(client_, options_);
    webhooks_ = std::make_unique<events::WebhookService>(*store_, vault_, *tenancy_, *sender_);
    worker_ = std::make_unique<events::DeliveryWorker>(*store_, *webhooks_, *sender_, options_);
    consumer_ = std::make_unique<events::WebhookConsumer>(*store_, nullptr);
  }
  void TearDown() override {
    server_->stopAll(true);
    consumer_.reset();
    worker_.reset();
    webhooks_.reset();
    tenancy_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  events::CreatedWebhook hook(std::int64_t max_retries, std::int64_t delay_ms, const std::string& url = "") {
    events::WebhookInput in;
    in.name = "h";
    in.url = url.empty() ? url_ : url;
    in.max_retries = max_retries;
    in.retry_delay_ms = delay_ms;
    in.exponential_backoff = false;
    return webhooks_->create("ws1", in);
  }

  // An event handed to the consumer as the dispatcher would; returns its one delivery.
  store::WebhookDelivery publish(const std::string& webhook_id, const std::string& event_id = "evt_1") {
    events::Event e;
    e.id = event_id;
    e.workspace_id = "ws1";
    e.type = "record_created";
    e.data = boost::json::object{{"n", 1}};
    e.occurred_at = e.created_at = store::now_iso();
    consumer_->enqueue(e);
    for (const auto& d : store_->deliveries().list({webhook_id}, 100))
      if (d.event_id == event_id) return d;
    ADD_FAILURE() << "no delivery queued for " << event_id;
    return {};
  }

  store::WebhookDelivery reread(const std::string& id) { return store_->deliveries().get(id).value(); }
  std::size_t received() {
    std::lock_guard lock(script_.mutex);
    return script_.received.size();
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  vault::Vault vault_{vault::MasterKey::from_bytes(std::string(32, 'k'))};
  std::unique_ptr<auth::TenancyService> tenancy_;
  Script script_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::string url_;
  net::HttpClient client_;
  events::WebhookOptions options_;
  std::unique_ptr<events::WebhookSender> sender_;
  std::unique_ptr<events::WebhookService> webhooks_;
  std::unique_ptr<events::DeliveryWorker> worker_;
  std::unique_ptr<events::WebhookConsumer> consumer_;
};

}  // namespace

TEST_F(DeliveryWorkerTest, SuccessIsRecordedAndSigned) {
  const auto w = hook(3, 50);
  const auto queued = publish(w.record.id);
  EXPECT_EQ(queued.status, "pending");
  ASSERT_EQ(worker_->run_once(), 1u);

  const auto d = reread(queued.id);
  EXPECT_EQ(d.status, "success");
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(d.response_code, 200);
  EXPECT_EQ(d.response_body, "OK");
  EXPECT_TRUE(d.delivered_at.has_value());
  EXPECT_TRUE(d.response_time_ms.has_value());
  EXPECT_EQ(d.leased_by, "");  // the lease is dropped with the outcome
  EXPECT_EQ(d.last_error, "");

  std::lock_guard lock(script_.mutex);
  ASSERT_EQ(script_.received.size(), 1u);
  const auto& r = script_.received[0];
  EXPECT_EQ(r.delivery_id, queued.id);
  EXPECT_EQ(r.event, "record_created");
  EXPECT_EQ(r.body, queued.payload_json);
  EXPECT_EQ(r.signature, events::webhook_signature(w.secret, std::stoll(r.timestamp), r.body));
}

TEST_F(DeliveryWorkerTest, FailureIsRetriedAtTheJitteredTimeUnderTheSameId) {
  const auto w = hook(3, 400);
  script_.statuses = {500};
  const auto queued = publish(w.record.id);
  const auto before = now_ms();
  ASSERT_EQ(worker_->run_once(), 1u);
  const auto after = now_ms();

  auto d = reread(queued.id);
  EXPECT_EQ(d.status, "retrying");
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(d.response_code, 500);
  EXPECT_EQ(d.last_error, "HTTP 500");
  EXPECT_GE(d.next_attempt_at_ms, before + 320);  // 400 ms -20%
  EXPECT_LE(d.next_attempt_at_ms, after + 480);   // 400 ms +20%
  EXPECT_EQ(worker_->run_once(), 0u) << "claimed before it was due";

  std::this_thread::sleep_for(milliseconds(d.next_attempt_at_ms - now_ms() + 20));
  ASSERT_EQ(worker_->run_once(), 1u);
  d = reread(queued.id);
  EXPECT_EQ(d.status, "success");
  EXPECT_EQ(d.attempts, 2);
  std::lock_guard lock(script_.mutex);
  ASSERT_EQ(script_.received.size(), 2u);
  EXPECT_EQ(script_.received[0].delivery_id, queued.id);
  EXPECT_EQ(script_.received[1].delivery_id, queued.id);
}

TEST_F(DeliveryWorkerTest, FailedStreakSwitchesTheWebhookOffWithTheReason) {
  const auto w = hook(0, 10);  // no retries: each failure is final
  script_.statuses = {500, 502};
  const auto first = publish(w.record.id, "evt_a");
  ASSERT_EQ(worker_->run_once(), 1u);
  EXPECT_EQ(reread(first.id).status, "failed");
  auto rec = store_->webhooks().get(w.record.id).value();
  EXPECT_TRUE(rec.active);
  EXPECT_EQ(rec.consecutive_failures, 1);

  const auto second = publish(w.record.id, "evt_b");
  ASSERT_EQ(worker_->run_once(), 1u);
  rec = store_->webhooks().get(w.record.id).value();
  EXPECT_FALSE(rec.active);
  EXPECT_EQ(rec.consecutive_failures, 2);
  EXPECT_NE(rec.disabled_reason.find("switched off after 2 failed deliveries in a row"), std::string::npos)
      << rec.disabled_reason;
  EXPECT_NE(rec.disabled_reason.find("HTTP 502"), std::string::npos) << rec.disabled_reason;

  // Switched off: a retried delivery fails without being sent.
  ASSERT_TRUE(store_->deliveries().requeue(second.id, now_ms(), store::now_iso()));
  ASSERT_EQ(worker_->run_once(), 1u);
  const auto d = reread(second.id);
  EXPECT_EQ(d.status, "failed");
  EXPECT_EQ(d.last_error, "the webhook is switched off");
  EXPECT_EQ(received(), 2u);
}

TEST_F(DeliveryWorkerTest, SuccessEndsTheStreak) {
  const auto w = hook(0, 10);
  script_.statuses = {500};
  publish(w.record.id, "evt_a");
  worker_->run_once();
  EXPECT_EQ(store_->webhooks().get(w.record.id)->consecutive_failures, 1);
  publish(w.record.id, "evt_b");
  worker_->run_once();
  const auto rec = store_->webhooks().get(w.record.id).value();
  EXPECT_EQ(rec.consecutive_failures, 0);
  EXPECT_TRUE(rec.active);
}

TEST_F(DeliveryWorkerTest, RetriesStopAfterTheBudget) {
  const auto w = hook(2, 10);
  script_.statuses = {500, 500, 500, 500};
  const auto queued = publish(w.record.id);
  for (int attempt = 1; attempt <= 3; ++attempt) {
    std::this_thread::sleep_for(milliseconds(25));
    ASSERT_EQ(worker_->run_once(), 1u) << attempt;
  }
  std::this_thread::sleep_for(milliseconds(25));
  EXPECT_EQ(worker_->run_once(), 0u);
  const auto d = reread(queued.id);
  EXPECT_EQ(d.status, "failed");
  EXPECT_EQ(d.attempts, 3);  // the first attempt and max_retries = 2 retries
  EXPECT_EQ(received(), 3u);
}

TEST_F(DeliveryWorkerTest, EgressRefusalFailsAtOnceWithoutSending) {
  const auto w = hook(3, 10);
  const auto queued = publish(w.record.id);
  // The operator withdrew the loopback allowance after the webhook was saved.
  auto strict = options_;
  strict.egress.allow_loopback = false;
  events::WebhookSender strict_sender(client_, strict);
  events::DeliveryWorker strict_worker(*store_, *webhooks_, strict_sender, strict);
  ASSERT_EQ(strict_worker.run_once(), 1u);
  const auto d = reread(queued.id);
  EXPECT_EQ(d.status, "failed");
  EXPECT_EQ(d.attempts, 1);
  EXPECT_NE(d.last_error.find("loopback"), std::string::npos) << d.last_error;
  EXPECT_EQ(received(), 0u);
}

TEST_F(DeliveryWorkerTest, QueueingAnEventTwiceMakesOneDelivery) {
  const auto w = hook(3, 10);
  const auto a = publish(w.record.id, "evt_same");
  const auto b = publish(w.record.id, "evt_same");
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(store_->deliveries().list({w.record.id}, 100).size(), 1u);
}

TEST_F(DeliveryWorkerTest, ALeaseKeepsOtherWorkersOffUntilItRunsOut) {
  const auto w = hook(3, 10);
  const auto queued = publish(w.record.id);
  auto& outbox = store_->deliveries();
  const auto t = now_ms();
  ASSERT_EQ(outbox.claim("node_a", t, 200, 10).size(), 1u);
  EXPECT_TRUE(outbox.claim("node_b", t + 100, 200, 10).empty());
  // node_a died mid-attempt; once its lease runs out node_b takes the same row.
  const auto taken = outbox.claim("node_b", t + 201, 200, 10);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].id, queued.id);
  // node_a's late outcome is not written over node_b's claim.
  auto late = taken[0];
  late.status = "success";
  EXPECT_FALSE(outbox.finish(late, "node_a"));
  EXPECT_EQ(reread(queued.id).status, "pending");
  EXPECT_TRUE(outbox.finish(late, "node_b"));
  EXPECT_EQ(reread(queued.id).status, "success");
}

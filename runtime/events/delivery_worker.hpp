// The threads that empty the outbox: each claims one due delivery at a time with a lease,
// POSTs it (WebhookSender), and records the outcome: success; a retry at the time the
// webhook's retry_config gives (retry_policy.hpp); or failed, which counts towards switching
// the webhook off after webhooks.disable_after_failures failed deliveries in a row.
//
// Threads sleep until the next delivery is due or wake() says one was queued. A lease lasts
// the attempt's timeout plus a margin; if the process dies mid-attempt the lease runs out and
// the delivery is claimed again (by this node after its restart, or by any other): receivers
// see it at least once, always with the same X-Plugboard-Delivery id.
#pragma once

#include "events/webhook_options.hpp"
#include "events/webhook_sender.hpp"
#include "events/webhook_service.hpp"
#include "store/repositories.hpp"

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace plugboard::events {

class DeliveryWorker {
 public:
  DeliveryWorker(store::Store& store, WebhookService& webhooks, const WebhookSender& sender,
                 WebhookOptions options, std::string node = "");  // node: lease holder name; "" makes one
  ~DeliveryWorker();
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  void start();
  // Lets attempts in flight finish (each bounded by the timeout) and joins. Idempotent.
  void stop();
  // New deliveries were queued.
  void wake();

  // Claims and attempts up to `limit` due deliveries on the calling thread (tests); returns
  // how many were attempted.
  std::size_t run_once(std::size_t limit = 1);

  const std::string& node() const { return node_; }
  std::chrono::milliseconds lease() const;

 private:
  void loop();
  void attempt(store::WebhookDelivery d);

  store::Store& store_;
  WebhookService& webhooks_;
  const WebhookSender& sender_;
  WebhookOptions options_;
  std::string node_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::uint64_t wakes_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace plugboard::events

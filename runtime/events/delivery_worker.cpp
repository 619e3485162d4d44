#include "events/delivery_worker.hpp"

#include "events/retry_policy.hpp"
#include "store/iso_time.hpp"
#include "vault/random.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace plugboard::events {

namespace {

// Longest sleep with nothing due: picks up work queued by another process sharing the store.
constexpr std::chrono::milliseconds kIdlePoll{2000};
// What a lease adds to the attempt's own timeout: DNS, the egress check, recording the result.
constexpr std::chrono::milliseconds kLeaseMargin{5000};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

DeliveryWorker::DeliveryWorker(store::Store& store, WebhookService& webhooks, const WebhookSender& sender,
                               WebhookOptions options, std::string node)
    : store_(store),
      webhooks_(webhooks),
      sender_(sender),
      options_(options),
      node_(node.empty() ? "node_" + vault::random_hex(6) : std::move(node)) {}

DeliveryWorker::~DeliveryWorker() { stop(); }

std::chrono::milliseconds DeliveryWorker::lease() const { return options_.timeout + kLeaseMargin; }

void DeliveryWorker::start() {
  if (!threads_.empty()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  for (int i = 0; i < std::max(1, options_.workers); ++i) threads_.emplace_back([this] { loop(); });
}

void DeliveryWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void DeliveryWorker::wake() {
  {
    std::lock_guard lock(mutex_);
    ++wakes_;
  }
  cv_.notify_all();
}

std::size_t DeliveryWorker::run_once(std::size_t limit) {
  auto claimed =
      store_.deliveries().claim(node_, now_ms(), lease().count(), static_cast<std::int64_t>(limit));
  for (auto& d : claimed) attempt(std::move(d));
  return claimed.size();
}

void DeliveryWorker::loop() {
  for (;;) {
    std::uint64_t seen = 0;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      seen = wakes_;
    }
    std::chrono::milliseconds wait = kIdlePoll;
    try {
      if (run_once(1) > 0) continue;
      if (auto next = store_.deliveries().next_due_ms())
        wait =
            std::clamp(std::chrono::milliseconds(*next - now_ms()), std::chrono::milliseconds(10), kIdlePoll);
    } catch (const std::exception& e) {
      spdlog::error("webhook delivery worker: {}", e.what());
      wait = std::chrono::milliseconds(1000);
    }
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, wait, [&] { return stopping_ || wakes_ != seen; });
  }
}

void DeliveryWorker::attempt(store::WebhookDelivery d) {
  std::optional<WebhookTarget> target;
  try {
    target = webhooks_.target(d.webhook_id);
  } catch (const std::exception& e) {  // e.g. its secret no longer opens
    d.last_error = std::string("the webhook's secrets could not be opened: ") + e.what();
  }
  if (!target) {
    if (d.last_error.empty()) return;  // the webhook was deleted, and its deliveries with it
    d.status = "failed";
  } else if (!target->record.active) {
    d.status = "failed";
    d.last_error = "the webhook is switched off";
  }
  if (d.status == "failed") {
    d.updated_at = store::now_iso();
    store_.deliveries().finish(d, node_);
    return;
  }
  const auto out = sender_.send(*target, d.id, d.event_type, d.payload_json);
  d.attempts += 1;
  d.response_code = out.status_code;
  d.response_body = out.body;
  d.response_time_ms = out.time_ms;
  d.last_error = out.error;
  d.updated_at = store::now_iso();
  const auto& w = target->record;
  const RetryConfig retry{w.max_retries, w.retry_delay_ms, w.exponential_backoff};
  if (out.success) {
    d.status = "success";
    d.delivered_at = out.at;
  } else if (!out.permanent && d.attempts <= retry.max_retries) {
    d.status = "retrying";
    d.next_attempt_at_ms = now_ms() + jittered_delay(retry, d.attempts, jitter_unit()).count();
  } else {
    d.status = "failed";
  }
  if (!store_.deliveries().finish(d, node_)) {
    spdlog::warn("webhook delivery {}: lease lost during the attempt; another worker has it", d.id);
    return;
  }
  spdlog::debug("webhook delivery {} to webhook {}: {} (attempt {}, {})", d.id, w.id, d.status, d.attempts,
                out.success ? "HTTP " + std::to_string(*out.status_code) : out.error);
  if (out.success) {
    if (w.consecutive_failures != 0) store_.webhooks().record_success(w.id);
  } else if (d.status == "failed") {
    const std::string reason = "switched off after " + std::to_string(options_.disable_after_failures) +
                               " failed deliveries in a row (last: " + out.error + ")";
    if (store_.webhooks().record_failure(w.id, options_.disable_after_failures, reason, store::now_iso()))
      spdlog::warn("webhook {} {}", w.id, reason);
  }
}

}  // namespace plugboard::events

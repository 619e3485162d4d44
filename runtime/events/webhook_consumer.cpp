#include "events/webhook_consumer.hpp"

#include "events/webhook_service.hpp"
#include "store/iso_time.hpp"
#include "store/json_list.hpp"
#include "vault/random.hpp"

#include <algorithm>
#include <chrono>

namespace plugboard::events {

bool webhook_matches(const store::WebhookRecord& w, const Event& e) {
  if (!w.active || w.workspace_id != e.workspace_id) return false;
  if (!w.project_id.empty() && w.project_id != e.project_id) return false;
  const auto types = store::from_json_list(w.events_json, "webhooks.events");
  if (!types.empty() && std::find(types.begin(), types.end(), e.type) == types.end()) return false;
  if (w.table_id) {
    const auto* t = e.entity.if_contains("table_id");
    if (t == nullptr) return false;
    boost::system::error_code ec;
    const auto wanted = boost::json::parse(*w.table_id, ec);
    if (ec || table_key(wanted) != table_key(*t)) return false;
  }
  return true;
}

WebhookConsumer::WebhookConsumer(store::Store& store, std::function<void()> on_queued)
    : store_(store), on_queued_(std::move(on_queued)) {}

void WebhookConsumer::enqueue(const Event& e) {
  std::vector<store::WebhookDelivery> batch;
  std::string payload;
  for (const auto& w : store_.webhooks().list_active(e.workspace_id)) {
    if (!webhook_matches(w, e)) continue;
    if (payload.empty()) payload = boost::json::serialize(payload_of(e));
    store::WebhookDelivery d;
    d.id = "dlv_" + vault::random_hex(12);
    d.webhook_id = w.id;
    d.event_id = e.id;
    d.event_type = e.type;
    d.payload_json = payload;
    d.next_attempt_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    d.created_at = d.updated_at = store::now_iso();
    batch.push_back(std::move(d));
  }
  if (store_.deliveries().enqueue_all(batch) > 0 && on_queued_) on_queued_();
}

}  // namespace plugboard::events

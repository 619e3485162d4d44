// Outbound webhooks as an EventConsumer: for each event, one delivery in the outbox per
// active webhook of the event's workspace that matches it. Matching:
//   - events: the webhook's list names the event type, or the list is empty (every type);
//   - project: the webhook has none (every project) or the event's;
//   - table_id: the webhook has none, or the event's entity has the same table_id (a
//     table-scoped webhook never receives events that name no table).
// Queueing is idempotent per (webhook, event), as the dispatcher requires.
#pragma once

#include "events/event.hpp"
#include "store/repositories.hpp"

#include <functional>

namespace plugboard::events {

bool webhook_matches(const store::WebhookRecord& w, const Event& e);

class WebhookConsumer final : public EventConsumer {
 public:
  // on_queued runs after deliveries were queued (the delivery worker's wake()).
  WebhookConsumer(store::Store& store, std::function<void()> on_queued);
  void enqueue(const Event& e) override;

 private:
  store::Store& store_;
  std::function<void()> on_queued_;
};

}  // namespace plugboard::events

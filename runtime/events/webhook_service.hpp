// Outbound webhooks (seed 000 "Webhooks", seed 003 integration.createCustom): subscriptions
// of a workspace (optionally one project, one table, some event types) to a URL, and their
// delivery log. The signing secret and header values are sealed by the Vault and never
// returned; the secret is shown once, by create. Zapier- and Make-style subscriptions are
// webhooks like any other: their URL, the event types, and a table_id filter.
#pragma once

#include "auth/tenancy_service.hpp"
#include "events/retry_policy.hpp"
#include "events/webhook_sender.hpp"
#include "store/repositories.hpp"
#include "vault/vault.hpp"

#include <boost/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace plugboard::events {

// Create takes every set field (defaults for the rest); update changes only the set ones.
struct WebhookInput {
  std::optional<std::string> project_id;  // "" on update: every project
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::string> url;
  std::optional<std::string> secret;               // create: generated when unset
  std::optional<std::vector<std::string>> events;  // empty or ["*"]: every event type
  bool table_id_set = false;                       // with table_id nullopt: clears it
  std::optional<boost::json::value> table_id;      // an integer or a string
  std::optional<boost::json::object> headers;      // replaces them all
  std::optional<bool> active;
  std::optional<std::int64_t> max_retries;
  std::optional<std::int64_t> retry_delay_ms;
  std::optional<bool> exponential_backoff;
};

struct CreatedWebhook {
  store::WebhookRecord record;
  std::string secret;  // the only time it is shown
};

// A page of a webhook's delivery log, newest first.
struct DeliveryPage {
  std::vector<store::WebhookDelivery> deliveries;
  std::int64_t total = 0;                  // matching the filter, over all pages
  std::optional<std::string> next_cursor;  // set when there are older ones
};

struct TestOutcome {
  std::string delivery_id;
  AttemptOutcome attempt;
};

// A table id as events and webhooks compare it: integers and strings of the same digits match.
std::optional<std::string> table_key(const boost::json::value& v);
// The JSON texts a ?table_id= query matches (the number and the string).
std::vector<std::string> table_id_texts(const std::string& query);

class WebhookService {
 public:
  // on_queued is called when deliveries were queued here (retry, ...): the worker's wake().
  WebhookService(store::Store& store, const vault::Vault& vault, auth::TenancyService& tenancy,
                 const WebhookSender& sender, std::function<void()> on_queued = {});

  void set_on_queued(std::function<void()> fn) { on_queued_ = std::move(fn); }

  // Throw ServiceError (validation_error with the field, not_found).
  CreatedWebhook create(const std::string& workspace_id, const WebhookInput& in);
  store::WebhookRecord update(const std::string& workspace_id, const std::string& id, const WebhookInput& in);
  // nullopt also for another workspace's webhook.
  std::optional<store::WebhookRecord> get(const std::string& workspace_id, const std::string& id);
  std::vector<store::WebhookRecord> list(const store::WebhookFilter& filter, const store::Page& page);
  std::int64_t count(const store::WebhookFilter& filter);
  bool remove(const std::string& workspace_id, const std::string& id);

  // Header names of a webhook (values stay sealed), for redacted rendering.
  std::vector<std::string> header_names(const store::WebhookRecord& w) const;
  // For the delivery worker: the webhook with its secrets opened, any workspace.
  std::optional<WebhookTarget> target(const std::string& id) const;

  // The delivery log of a webhook (the caller checked the webhook's workspace), `limit`
  // entries after `cursor` (a previous page's next_cursor). validation_error on "cursor".
  DeliveryPage deliveries(store::DeliveryFilter filter, const std::optional<std::string>& cursor,
                          std::int64_t limit);
  // A delivery and its webhook, when the webhook is the workspace's.
  std::optional<std::pair<store::WebhookDelivery, store::WebhookRecord>> delivery(
      const std::string& workspace_id, const std::string& id);
  // A failed delivery queued again under the same id; conflict when it has not failed.
  store::WebhookDelivery retry(const std::string& workspace_id, const std::string& delivery_id);
  // Sends `payload` now, signed, and logs it as a delivery of event type payload.event.
  TestOutcome test(const std::string& workspace_id, const std::string& id, boost::json::object payload);

 private:
  void check(store::WebhookRecord& w, const WebhookInput& in, bool creating);

  store::Store& store_;
  const vault::Vault& vault_;
  auth::TenancyService& tenancy_;
  const WebhookSender& sender_;
  std::function<void()> on_queued_;
};

}  // namespace plugboard::events

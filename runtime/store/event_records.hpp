// Records of the events module: application and provider events, outbound webhooks and their
// deliveries (the durable outbox). Plain data, like records.hpp; JSON kept as text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace plugboard::store {

// An event as stored. seq is the order the dispatcher hands events on in; `dispatched` says
// every consumer has queued its work for it.
struct EventRecord {
  std::int64_t seq = 0;  // assigned by the store on append
  std::string id;        // "evt_..."
  std::string workspace_id;
  std::string project_id;  // may be empty
  std::string type;
  std::string source;
  std::string external_id;
  std::string entity_json = "{}";
  std::string data_json = "null";
  std::string occurred_at;
  std::string created_at;
  bool dispatched = false;
};

// An outbound webhook subscription. Header values and the signing secret are secrets: both are
// sealed by the Vault before they get here.
struct WebhookRecord {
  std::string id;
  std::string workspace_id;
  std::string project_id;  // empty: every project of the workspace
  std::string name;
  std::string description;
  std::string url;
  std::string events_json = "[]";             // JSON array of event types; empty: every event
  std::optional<std::string> table_id;        // JSON text of a number or string; nullopt: any
  std::optional<std::string> sealed_headers;  // sealed JSON object; nullopt: none
  std::string sealed_secret;
  bool active = true;
  std::int64_t max_retries = 3;
  std::int64_t retry_delay_ms = 60000;
  bool exponential_backoff = true;
  std::int64_t consecutive_failures = 0;  // failed deliveries in a row (after all their retries)
  std::string disabled_reason;            // why the runtime switched it off; empty otherwise
  std::string created_at;
  std::string updated_at;
};

// One event (or test) to one webhook. The id is the X-Plugboard-Delivery header on every
// attempt. Status: pending (never tried), retrying (waiting for its next attempt), success,
// failed. While an attempt runs the row keeps its status and carries a lease.
struct WebhookDelivery {
  std::int64_t seq = 0;  // insertion order, assigned by the store: the log's tiebreak within a second
  std::string id;        // "dlv_..."
  std::string webhook_id;
  std::string event_id;
  std::string event_type;
  std::string payload_json;  // the exact body sent on every attempt
  std::string status = "pending";
  std::int64_t attempts = 0;
  std::int64_t next_attempt_at_ms = 0;  // unix ms: retry delays may be fractions of a second
  std::optional<std::int64_t> response_code;
  std::string response_body;  // capped by the worker
  std::optional<std::int64_t> response_time_ms;
  std::optional<std::string> delivered_at;
  std::string last_error;  // transport failure or egress refusal of the last attempt
  std::string leased_by;   // the worker node holding it; empty when none
  std::int64_t lease_until_ms = 0;
  std::string created_at;
  std::string updated_at;
};

}  // namespace plugboard::store

// An event: something that happened, from the client's application (POST /api/v2/events) or
// from a provider (a trigger). Events are stored before anyone hears of them, then handed to
// every consumer (outbound webhooks, automations) by the dispatcher, at least once each.
#pragma once

#include <boost/json.hpp>

#include <string>

namespace plugboard::events {

// What a producer hands in. The sink assigns the id and the times.
struct EventInput {
  std::string workspace_id;    // tenancy boundary; required
  std::string project_id;      // may be empty
  std::string type;            // "record_created", "comment.created", "slack.message", ...
  std::string source = "api";  // "api", or "trigger:<subscription id>" for provider events
  std::string external_id;     // the producer's own id, when it has one (dedupe, tracing)
  boost::json::object entity;  // entity ids: {"table_id":123,"row_id":1001}
  boost::json::value data;     // the payload
  std::string occurred_at;     // ISO 8601 UTC; empty: now
};

struct Event {
  std::string id;  // "evt_..."
  std::string workspace_id;
  std::string project_id;
  std::string type;
  std::string source;
  std::string external_id;
  boost::json::object entity;
  boost::json::value data;
  std::string occurred_at;
  std::string created_at;
};

// The body a subscriber receives: {"id","event","timestamp", entity ids..., "data"}
// (seed 000's webhook payload with seed 003's event names).
boost::json::object payload_of(const Event& e);

// Stores an event durably and wakes the dispatcher. Thread-safe. Throws store::StoreError
// when it could not be stored (nothing was accepted then).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual Event publish(EventInput in) = 0;
};

// One kind of subscriber (outbound webhooks, automations). The dispatcher calls enqueue once
// or more for every stored event, in order; enqueue must be idempotent per event id (a crash
// between enqueue and the dispatcher's bookkeeping repeats it) and must only queue durable
// work, never do it inline.
class EventConsumer {
 public:
  virtual ~EventConsumer() = default;
  virtual void enqueue(const Event& e) = 0;
};

}  // namespace plugboard::events

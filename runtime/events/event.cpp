#include "events/event.hpp"

namespace plugboard::events {

boost::json::object payload_of(const Event& e) {
  boost::json::object p;
  p["id"] = e.id;
  p["event"] = e.type;
  p["timestamp"] = e.occurred_at;
  for (const auto& kv : e.entity)
    if (kv.key() != "id" && kv.key() != "event" && kv.key() != "timestamp" && kv.key() != "data")
      p[kv.key()] = kv.value();
  p["data"] = e.data;
  return p;
}

}  // namespace plugboard::events

// The EventSink of the process: checks an event, stores it (durably, before publish returns),
// and wakes the dispatcher. Producers: POST /api/v2/events, and provider triggers.
#pragma once

#include "auth/tenancy_service.hpp"
#include "events/event.hpp"
#include "store/repositories.hpp"

#include <functional>
#include <optional>
#include <string>

namespace plugboard::events {

// Event types are names, not text: letters, digits and _ . : - (1 to 100 characters).
bool valid_event_type(std::string_view type);

// Stored record <-> Event.
Event event_from(const store::EventRecord& r);

class EventService final : public EventSink {
 public:
  // wake is called after each stored event (the dispatcher's wake()); it must not block.
  EventService(store::Store& store, auth::TenancyService& tenancy, std::function<void()> wake);

  // Throws ServiceError (validation_error with the field) for a bad event, store::StoreError
  // when it could not be stored. An event repeated by its producer comes back as stored.
  Event publish(EventInput in) override { return record(std::move(in)).event; }

  // publish, saying whether this call stored the event. An input with an external_id that its
  // workspace and source already used is the producer repeating itself (a retried POST, a
  // re-sent provider webhook): the stored event is returned and nothing is fanned out again.
  // conflict when the repeat names another event type (the external_id was reused).
  struct Recorded {
    Event event;
    bool created = true;
  };
  Recorded record(EventInput in);

  // nullopt also when the event belongs to another workspace.
  std::optional<Event> get(const std::string& workspace_id, const std::string& id);

 private:
  store::Store& store_;
  auth::TenancyService& tenancy_;
  std::function<void()> wake_;
};

}  // namespace plugboard::events

#include "events/event_service.hpp"

#include "auth/service_error.hpp"
#include "store/iso_time.hpp"
#include "vault/random.hpp"

#include <algorithm>
#include <cctype>

namespace plugboard::events {

namespace json = boost::json;

bool valid_event_type(std::string_view type) {
  return !type.empty() && type.size() <= 100 && std::all_of(type.begin(), type.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '.' || c == ':' || c == '-';
  });
}

Event event_from(const store::EventRecord& r) {
  Event e;
  e.id = r.id;
  e.workspace_id = r.workspace_id;
  e.project_id = r.project_id;
  e.type = r.type;
  e.source = r.source;
  e.external_id = r.external_id;
  boost::system::error_code ec;
  auto entity = json::parse(r.entity_json, ec);
  if (!ec && entity.is_object()) e.entity = std::move(entity.get_object());
  auto data = json::parse(r.data_json, ec);
  e.data = ec ? json::value(nullptr) : std::move(data);
  e.occurred_at = r.occurred_at;
  e.created_at = r.created_at;
  return e;
}

EventService::EventService(store::Store& store, auth::TenancyService& tenancy, std::function<void()> wake)
    : store_(store), tenancy_(tenancy), wake_(std::move(wake)) {}

namespace {

EventService::Recorded repeated(const store::EventRecord& stored, const std::string& type) {
  if (stored.type != type)
    throw ServiceError(
        "conflict",
        "external_id " + stored.external_id + " already names event " + stored.id + " of type " + stored.type,
        "external_id");
  return {event_from(stored), false};
}

}  // namespace

EventService::Recorded EventService::record(EventInput in) {
  if (in.workspace_id.empty()) throw ServiceError::invalid("workspace_id", "workspace_id is required");
  if (!valid_event_type(in.type))
    throw ServiceError::invalid(
        "type", "type is required: 1 to 100 letters, digits and _ . : - (e.g. record_created)");
  if (!in.project_id.empty() && !tenancy_.project(in.workspace_id, in.project_id))
    throw ServiceError::invalid("project_id",
                                "project " + in.project_id + " does not exist in this workspace");
  // Entity ids are what webhooks filter on (table_id) and what receivers look records up by:
  // plain strings or integers, nothing to interpret.
  for (const auto& kv : in.entity)
    if (!kv.value().is_string() && !kv.value().is_int64() && !kv.value().is_uint64())
      throw ServiceError::invalid(std::string(kv.key()),
                                  std::string(kv.key()) + " must be a string or an integer");
  if (in.source.empty() || in.source.size() > 200)
    throw ServiceError::invalid("source", "source is required");
  if (in.external_id.size() > 200)
    throw ServiceError::invalid("external_id", "external_id is longer than 200 characters");
  if (!in.external_id.empty())
    if (auto stored = store_.events().find_external(in.workspace_id, in.source, in.external_id))
      return repeated(*stored, in.type);
  store::EventRecord r;
  r.id = "evt_" + vault::random_hex(12);
  r.workspace_id = std::move(in.workspace_id);
  r.project_id = std::move(in.project_id);
  r.type = std::move(in.type);
  r.source = std::move(in.source);
  r.external_id = std::move(in.external_id);
  r.entity_json = json::serialize(in.entity);
  r.data_json = json::serialize(in.data);
  r.created_at = store::now_iso();
  if (in.occurred_at.empty()) {
    r.occurred_at = r.created_at;
  } else {
    auto t = store::parse_iso(in.occurred_at);
    if (!t) throw ServiceError::invalid("occurred_at", "occurred_at must be an ISO 8601 time");
    r.occurred_at = store::to_iso(*t);
  }
  try {
    store_.events().append(r);
  } catch (const store::ConflictError&) {
    // A repeat raced this call past the lookup above; the unique index let one of them in.
    if (r.external_id.empty()) throw;
    auto stored = store_.events().find_external(r.workspace_id, r.source, r.external_id);
    if (!stored) throw;
    return repeated(*stored, r.type);
  }
  if (wake_) wake_();
  return {event_from(r), true};
}

std::optional<Event> EventService::get(const std::string& workspace_id, const std::string& id) {
  auto r = store_.events().get(id);
  if (!r || r->workspace_id != workspace_id) return std::nullopt;
  return event_from(*r);
}

}  // namespace plugboard::events

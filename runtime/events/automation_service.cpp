#include "events/automation_service.hpp"

#include "auth/service_error.hpp"
#include "events/event_service.hpp"
#include "store/iso_time.hpp"
#include "vault/random.hpp"

namespace plugboard::events {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxParameters = 64 * 1024;

json::value parsed(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const std::exception&) {
    return nullptr;  // written by this process; never expected
  }
}

json::value or_null(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }

}  // namespace

AutomationService::AutomationService(store::Store& store, const plugins::RegistryHandle& registry,
                                     execute::ConnectionService& connections)
    : store_(store), registry_(registry), connections_(connections) {}

void AutomationService::check(const auth::Principal& who, store::Automation& a) const {
  if (!who.can("execute"))
    throw ServiceError("forbidden", "creating or changing automations needs the execute permission");
  if (a.name.empty() || a.name.size() > 200)
    throw ServiceError::invalid("name", "is required, 1 to 200 characters");
  if (a.description.size() > 2000)
    throw ServiceError::invalid("description", "must be at most 2000 characters");
  if (!valid_event_type(a.event_type))
    throw ServiceError::invalid(
        "event", "is required: an event type such as comment.created (letters, digits, _ . : -)");
  try {
    a.conditions_json = json::serialize(to_json(parse_conditions(parsed(a.conditions_json))));
    a.mappings_json = json::serialize(to_json(parse_mappings(parsed(a.mappings_json))));
  } catch (const RuleError& e) {
    throw ServiceError::invalid(e.field, e.what());
  }
  if (a.parameters_json.size() > kMaxParameters)
    throw ServiceError::invalid("parameters", "must be at most 64 KiB");

  auto conn = connections_.resolve(a.connection_id);
  if (!conn || conn->record.workspace_id != who.workspace_id || !who.allows_project(conn->record.project_id))
    throw ServiceError("not_found", "connection " + a.connection_id + " not found", "connection_id");
  const auto& rec = conn->record;
  if (!who.allows_integration(rec.provider, rec.integration_id))
    throw ServiceError("forbidden", "the API key does not have access to integration " + rec.integration_id,
                       "connection_id");
  if (conn->per_user && a.user_id != conn->user_id)
    throw ServiceError::invalid("user_id",
                                "the connection belongs to a per-user integration: give its user_id");
  auto plugin = registry_.get()->find(rec.provider);
  if (!plugin)
    throw ServiceError::invalid("connection_id", "the plugin of provider " + rec.provider + " is not loaded");
  if (plugin->manifest.find_action(a.action) == nullptr) {
    std::string available;
    for (const auto& x : plugin->manifest.actions) available += (available.empty() ? "" : ", ") + x.slug;
    throw ServiceError::invalid("action", "provider " + rec.provider + " has no action '" + a.action +
                                              "' (it has: " + available + ")");
  }
  a.project_id = rec.project_id;
}

store::Automation AutomationService::create(const auth::Principal& who, const NewAutomation& in) {
  store::Automation a;
  a.id = "aut_" + vault::random_hex(12);
  a.workspace_id = who.workspace_id;
  a.name = in.name;
  a.description = in.description;
  a.event_type = in.event;
  a.conditions_json = json::serialize(in.conditions);
  a.mappings_json = json::serialize(in.mappings);
  a.connection_id = in.connection_id;
  a.action = in.action;
  a.user_id = in.user_id;
  a.parameters_json = json::serialize(in.parameters);
  a.active = in.active;
  check(who, a);
  a.created_at = a.updated_at = store::now_iso();
  store_.automations().create(a);
  return a;
}

std::optional<store::Automation> AutomationService::get(const auth::Principal& who, const std::string& id) {
  auto a = store_.automations().get(id);
  if (!a || a->workspace_id != who.workspace_id || !who.allows_project(a->project_id)) return std::nullopt;
  return a;
}

std::vector<store::Automation> AutomationService::list(const auth::Principal& who, const store::Page& page) {
  return store_.automations().list(who.workspace_id, who.projects, page);
}

std::int64_t AutomationService::count(const auth::Principal& who) {
  return store_.automations().count(who.workspace_id, who.projects);
}

store::Automation AutomationService::update(const auth::Principal& who, const std::string& id,
                                            const AutomationPatch& p) {
  auto a = get(who, id);
  if (!a) throw ServiceError::not_found("automation " + id);
  if (p.name) a->name = *p.name;
  if (p.description) a->description = *p.description;
  if (p.event) a->event_type = *p.event;
  if (p.conditions) a->conditions_json = json::serialize(*p.conditions);
  if (p.mappings) a->mappings_json = json::serialize(*p.mappings);
  if (p.connection_id) a->connection_id = *p.connection_id;
  if (p.action) a->action = *p.action;
  if (p.user_id) a->user_id = *p.user_id;
  if (p.parameters) a->parameters_json = json::serialize(*p.parameters);
  if (p.active) a->active = *p.active;
  check(who, *a);
  a->updated_at = store::now_iso();
  store_.automations().update(*a);
  return *a;
}

bool AutomationService::remove(const auth::Principal& who, const std::string& id) {
  if (!get(who, id)) return false;
  return store_.automations().remove(id);
}

std::optional<std::vector<store::AutomationRun>> AutomationService::runs(const auth::Principal& who,
                                                                         const std::string& id,
                                                                         std::int64_t limit) {
  if (!get(who, id)) return std::nullopt;
  return store_.automations().runs(id, limit);
}

json::object AutomationService::view(const store::Automation& a) {
  json::object o{{"id", a.id},
                 {"name", a.name},
                 {"description", a.description},
                 {"event", a.event_type},
                 {"conditions", parsed(a.conditions_json)},
                 {"project_id", a.project_id},
                 {"connection_id", a.connection_id},
                 {"action", a.action},
                 {"parameters", parsed(a.parameters_json)},
                 {"mappings", parsed(a.mappings_json)},
                 {"user_id", or_null(a.user_id)},
                 {"active", a.active},
                 {"created_at", a.created_at},
                 {"updated_at", a.updated_at}};
  o["last_run"] =
      a.last_run_at.empty()
          ? json::value(nullptr)
          : json::value(json::object{
                {"at", a.last_run_at}, {"status", a.last_status}, {"error", or_null(a.last_error)}});
  return o;
}

json::object AutomationService::view(const store::AutomationRun& r) {
  json::object o{{"id", r.id},
                 {"automation_id", r.automation_id},
                 {"event_id", r.event_id},
                 {"status", r.status},
                 {"attempts", r.attempts},
                 {"execution_id", or_null(r.execution_id)},
                 {"created_at", r.created_at},
                 {"finished_at", or_null(r.finished_at)}};
  o["error"] = r.error_code.empty()
                   ? json::value(nullptr)
                   : json::value(json::object{{"code", r.error_code}, {"message", r.error_message}});
  o["next_attempt_at"] = r.status == "retrying" ? json::value(r.next_attempt_at) : json::value(nullptr);
  return o;
}

}  // namespace plugboard::events

// Automations (/api/v2/automations): CRUD and each automation's recent runs.
#include "events/automation_service.hpp"
#include "http/request_parsing.hpp"
#include "http/router.hpp"
#include "http/services.hpp"

namespace plugboard::http {
namespace {

namespace json = boost::json;

const json::value& field_or_null(const json::object& body, const char* field) {
  static const json::value null;
  const auto* v = body.if_contains(field);
  return v != nullptr ? *v : null;
}

json::object list_body(Services& s, Exchange& ex) {
  const auto page = page_from_query(ex);
  json::array list;
  for (const auto& a : s.automations.list(*ex.principal, page))
    list.push_back(events::AutomationService::view(a));
  return {{"automations", std::move(list)},
          {"total", s.automations.count(*ex.principal)},
          {"limit", page.limit},
          {"offset", page.offset}};
}

}  // namespace

void add_automation_routes(Router& r, Services& s) {
  r.add("POST", "/api/v2/automations", Access::admin, [&s](Exchange& ex) {
    auto body = require_object_body(ex);
    reject_unknown(body, {"name", "description", "event", "conditions", "mappings", "connection_id", "action",
                          "user_id", "parameters", "active"});
    events::NewAutomation in;
    in.name = req_string(body, "name");
    in.description = opt_string(body, "description").value_or("");
    in.event = req_string(body, "event", 100);
    in.conditions = field_or_null(body, "conditions");
    in.mappings = field_or_null(body, "mappings");
    in.connection_id = req_string(body, "connection_id", 64);
    in.action = req_string(body, "action", 100);
    in.user_id = opt_string(body, "user_id").value_or("");
    in.parameters = opt_object(body, "parameters").value_or(json::object{});
    in.active = opt_bool(body, "active").value_or(true);
    ex.send_json(201, events::AutomationService::view(s.automations.create(*ex.principal, in)));
  });

  r.add("GET", "/api/v2/automations", Access::read,
        [&s](Exchange& ex) { ex.send_json(200, list_body(s, ex)); });

  r.add("GET", "/api/v2/automations/{id}", Access::read, [&s](Exchange& ex) {
    auto a = s.automations.get(*ex.principal, ex.param("id"));
    if (!a) throw ServiceError::not_found("automation " + ex.param("id"));
    ex.send_json(200, events::AutomationService::view(*a));
  });

  r.add("PATCH", "/api/v2/automations/{id}", Access::admin, [&s](Exchange& ex) {
    auto body = require_object_body(ex);
    reject_unknown(body, {"name", "description", "event", "conditions", "mappings", "connection_id", "action",
                          "user_id", "parameters", "active"});
    events::AutomationPatch p;
    p.name = opt_string(body, "name");
    p.description = opt_string(body, "description");
    p.event = opt_string(body, "event");
    if (body.contains("conditions")) p.conditions = body.at("conditions");
    if (body.contains("mappings")) p.mappings = body.at("mappings");
    p.connection_id = opt_string(body, "connection_id");
    p.action = opt_string(body, "action");
    p.user_id = opt_string(body, "user_id");
    p.parameters = opt_object(body, "parameters");
    p.active = opt_bool(body, "active");
    ex.send_json(200,
                 events::AutomationService::view(s.automations.update(*ex.principal, ex.param("id"), p)));
  });

  r.add("DELETE", "/api/v2/automations/{id}", Access::admin, [&s](Exchange& ex) {
    if (!s.automations.remove(*ex.principal, ex.param("id")))
      throw ServiceError::not_found("automation " + ex.param("id"));
    ex.send_text(204, "text/plain", "");
  });

  r.add("GET", "/api/v2/automations/{id}/runs", Access::admin, [&s](Exchange& ex) {
    const auto page = page_from_query(ex, 200);
    auto runs = s.automations.runs(*ex.principal, ex.param("id"), page.limit);
    if (!runs) throw ServiceError::not_found("automation " + ex.param("id"));
    json::array list;
    for (const auto& run : *runs) list.push_back(events::AutomationService::view(run));
    ex.send_json(200, json::object{{"runs", std::move(list)}, {"limit", page.limit}});
  });
}

}  // namespace plugboard::http

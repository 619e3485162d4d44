// Application events (seed 000 record_created..., seed 003 comment.created...): stored before
// the answer, then fanned out to webhooks and automations by the dispatcher.
#include "http/request_parsing.hpp"
#include "http/router.hpp"
#include "http/services.hpp"

namespace plugboard::http {
namespace {

namespace json = boost::json;

json::object render(const events::Event& e, bool with_data) {
  json::object o{{"id", e.id},
                 {"event", e.type},
                 {"type", e.type},
                 {"project_id", e.project_id.empty() ? json::value(nullptr) : json::value(e.project_id)},
                 {"source", e.source},
                 {"entity", e.entity},
                 {"occurred_at", e.occurred_at},
                 {"created_at", e.created_at}};
  if (!e.external_id.empty()) o["external_id"] = e.external_id;
  if (with_data) o["data"] = e.data;
  return o;
}

// {type|event, project_id?, <entity>_id..., entity?, data?, occurred_at|timestamp?, external_id?}
events::EventInput event_input(const json::object& body, const auth::Principal& p) {
  events::EventInput in;
  in.workspace_id = p.workspace_id;
  in.source = "api";
  for (const auto& kv : body) {
    const std::string key(kv.key());
    if (key == "type" || key == "event" || key == "project_id" || key == "workspace_id" || key == "data" ||
        key == "entity" || key == "occurred_at" || key == "timestamp" || key == "external_id")
      continue;
    // Entity ids (table_id, row_id, video_id, ...) sit at the top level in seed 000's payloads.
    if (key.size() > 3 && key.compare(key.size() - 3, 3, "_id") == 0) {
      in.entity[key] = kv.value();
      continue;
    }
    throw ServiceError::invalid(key,
                                "unknown field " + key + " (entity ids end in _id; the rest goes in data)");
  }
  auto type = opt_string(body, "type");
  auto event = opt_string(body, "event");
  if (type && event && *type != *event) throw ServiceError::invalid("event", "give type or event, not both");
  in.type = type ? *type : event.value_or("");
  if (in.type.empty()) throw ServiceError::invalid("type", "type is required (e.g. record_created)");
  if (auto ws = opt_string(body, "workspace_id"); ws && *ws != p.workspace_id)
    throw ServiceError("forbidden", "the API key does not have access to workspace " + *ws, "workspace_id");
  in.project_id = opt_string(body, "project_id").value_or("");
  if (!p.projects.empty() && (in.project_id.empty() || !p.allows_project(in.project_id)))
    throw ServiceError("forbidden", "the API key is limited to some projects: give one of them as project_id",
                       "project_id");
  if (auto entity = opt_object(body, "entity"))
    for (const auto& kv : *entity) in.entity[kv.key()] = kv.value();
  if (const auto* d = body.if_contains("data")) in.data = *d;
  in.occurred_at = opt_string(body, "occurred_at").value_or(opt_string(body, "timestamp").value_or(""));
  in.external_id = opt_string(body, "external_id").value_or("");
  return in;
}

}  // namespace

void add_event_routes(Router& r, Services& s) {
  // 202: stored and on its way to subscribers. 200: the same external_id was posted before;
  // the answer is that event, and it is not fanned out again (a client retrying a POST whose
  // answer it lost cannot make receivers see the event twice).
  r.add("POST", "/api/v2/events", Access::write, [&s](Exchange& ex) {
    auto recorded = s.events.record(event_input(require_object_body(ex), *ex.principal));
    ex.send_json(recorded.created ? 202 : 200, render(recorded.event, false));
  });

  r.add("GET", "/api/v2/events/{id}", Access::read, [&s](Exchange& ex) {
    auto e = s.events.get(ex.principal->workspace_id, ex.param("id"));
    if (!e || !ex.principal->allows_project(e->project_id))
      throw ServiceError::not_found("event " + ex.param("id"));
    ex.send_json(200, render(*e, true));
  });
}

}  // namespace plugboard::http

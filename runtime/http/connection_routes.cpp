// Connections (seed 000/003): credentials go in, and never come back out.
#include "auth/audit_service.hpp"
#include "http/connection_view.hpp"
#include "http/request_parsing.hpp"
#include "http/router.hpp"
#include "http/services.hpp"
#include "store/iso_time.hpp"

namespace plugboard::http {
namespace {

namespace json = boost::json;

json::object render(const store::Connection& c, const std::vector<std::string>& credential_fields) {
  return render_connection(c, credential_fields);
}

}  // namespace

void add_connection_routes(Router& r, Services& s) {
  r.add("POST", "/api/v2/connections", Access::admin, [&s](Exchange& ex) {
    auto body = require_object_body(ex);
    execute::NewConnection c;
    c.integration_id = req_string(body, "integration_id", 64);
    c.project_id = req_string(body, "project_id", 64);
    c.name = opt_string(body, "name").value_or("");
    c.auth_type = opt_string(body, "auth_type").value_or("");
    c.credentials = opt_object(body, "credentials");
    c.configuration = opt_object(body, "configuration").value_or(json::object{});
    c.user = opt_object(body, "user").value_or(json::object{});
    if (auto ws = opt_string(body, "workspace_id"); ws && *ws != ex.principal->workspace_id)
      throw ServiceError("forbidden", "the API key does not have access to workspace " + *ws, "workspace_id");
    if (!ex.principal->allows_project(c.project_id))
      throw ServiceError("forbidden", "the API key does not have access to project " + c.project_id,
                         "project_id");
    if (!ex.principal->allows_integration(c.integration_id, c.integration_id))
      throw ServiceError("forbidden", "the API key does not have access to integration " + c.integration_id,
                         "integration_id");
    auto created = s.connections.create(ex.principal->workspace_id, c);
    s.audit.record(ex.principal.get(), ex.request_id(), "create", "connection", created.id, {},
                   auth::audit_view(created));
    ex.send_json(201, render(created, s.connections.credential_fields(created)));
  });

  r.add("GET", "/api/v2/connections", Access::read, [&s](Exchange& ex) {
    const auto page = page_from_query(ex);
    json::array list;
    std::int64_t total = 0;
    // A workspace_id filter naming another workspace matches nothing, by construction.
    if (auto ws = ex.query("workspace_id"); !ws || *ws == ex.principal->workspace_id) {
      store::ConnectionFilter f;
      f.workspace_id = ex.principal->workspace_id;
      f.integration_id = ex.query("integration_id");
      f.status = ex.query("status");
      f.project_id = ex.query("project_id");
      f.project_ids = ex.principal->projects;  // a narrowed key's limit, applied in the query
      for (const auto& c : s.connections.list(f, page))
        list.push_back(render(c, s.connections.credential_fields(c)));
      total = s.connections.count(f);
    }
    ex.send_json(200, json::object{{"connections", std::move(list)},
                                   {"total", total},
                                   {"limit", page.limit},
                                   {"offset", page.offset}});
  });

  r.add("GET", "/api/v2/connections/{id}", Access::read, [&s](Exchange& ex) {
    auto c = s.connections.get(ex.principal->workspace_id, ex.param("id"));
    if (!c || !ex.principal->allows_project(c->project_id))
      throw ServiceError::not_found("connection " + ex.param("id"));
    ex.send_json(200, render(*c, s.connections.credential_fields(*c)));
  });

  r.add("PATCH", "/api/v2/connections/{id}", Access::admin, [&s](Exchange& ex) {
    auto c = s.connections.get(ex.principal->workspace_id, ex.param("id"));
    if (!c || !ex.principal->allows_project(c->project_id))
      throw ServiceError::not_found("connection " + ex.param("id"));
    auto body = require_object_body(ex);
    for (const auto& kv : body)
      if (kv.key() != "name" && kv.key() != "configuration" && kv.key() != "credentials" &&
          kv.key() != "status")
        throw ServiceError::invalid(std::string(kv.key()),
                                    "only name, configuration, credentials and status can change");
    auto updated = s.connections.patch(ex.principal->workspace_id, c->id, opt_string(body, "name"),
                                       opt_object(body, "configuration"), opt_object(body, "credentials"),
                                       opt_string(body, "status"));
    s.audit.record(ex.principal.get(), ex.request_id(), "update", "connection", c->id, auth::audit_view(*c),
                   auth::audit_view(updated));
    ex.send_json(200, render(updated, s.connections.credential_fields(updated)));
  });

  // Seed 003's rule: a deleted connection's tokens are revoked at the provider, and the record
  // stays, disconnected, with its execution log.
  r.add("DELETE", "/api/v2/connections/{id}", Access::admin, [&s](Exchange& ex) {
    auto c = s.connections.get(ex.principal->workspace_id, ex.param("id"));
    if (!c || !ex.principal->allows_project(c->project_id))
      throw ServiceError::not_found("connection " + ex.param("id"));
    bool revoked = true;
    if (auto resolved = s.connections.resolve(c->id))
      revoked = s.tokens.revoke(*resolved, std::chrono::seconds(10));
    s.connections.disconnect(ex.principal->workspace_id, c->id);
    if (c->status != "disconnected")
      s.audit.record(ex.principal.get(), ex.request_id(), "delete", "connection", c->id, auth::audit_view(*c),
                     {});
    if (!revoked) ex.set_header("Warning", "199 - \"tokens could not be revoked at the provider\"");
    ex.send_text(204, "application/json", "");
  });

  // Seed 000's test: latency, the account's facts (email, name), granted scopes, or the error.
  r.add("POST", "/api/v2/connections/{id}/test", Access::read, [&s](Exchange& ex) {
    auto t = s.execute.test_connection(*ex.principal, ex.param("id"), ex.request_id());
    json::object details = std::move(t.details);
    details["response_time_ms"] = t.response_time_ms;
    if (t.ok)
      return ex.send_json(
          200, json::object{
                   {"status", "success"}, {"message", "Connection test successful"}, {"details", details}});
    details["error"] =
        json::object{{"code", t.error.code}, {"message", t.error.message}, {"details", t.error.details}};
    ex.send_json(200, json::object{{"status", "failed"}, {"message", t.error.message}, {"details", details}});
  });

  // Health from today's executions, and today's usage.
  r.add("GET", "/api/v2/connections/{id}/status", Access::read, [&s](Exchange& ex) {
    auto c = s.connections.get(ex.principal->workspace_id, ex.param("id"));
    if (!c || !ex.principal->allows_project(c->project_id))
      throw ServiceError::not_found("connection " + ex.param("id"));
    const std::string today = store::now_iso().substr(0, 10) + "T00:00:00Z";
    auto u = s.connections.usage(c->id, today);
    std::string health = "unknown";
    if (c->status != "connected")
      health = "down";
    else if (u.total > 0)
      health = u.errors * 10 > u.total ? (u.errors * 2 > u.total ? "down" : "degraded") : "healthy";
    json::object out{
        {"id", c->id},
        {"status", c->status},
        {"health", health},
        {"usage",
         json::object{
             {"date", today.substr(0, 10)},
             {"executions", u.total},
             {"successful", u.total - u.errors},
             {"failed", u.errors},
             {"error_rate", u.total > 0 ? static_cast<double>(u.errors) / static_cast<double>(u.total) : 0.0},
             {"avg_response_time_ms", u.total > 0 ? u.total_duration_ms / u.total : 0}}},
        {"last_execution_at", u.last_at.empty() ? json::value(nullptr) : json::value(u.last_at)}};
    if (!c->status_reason.empty()) out["status_reason"] = c->status_reason;
    ex.send_json(200, out);
  });
}

}  // namespace plugboard::http

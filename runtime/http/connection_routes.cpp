// Connections (seed 000/003): credentials go in, and never come back out.
#include "http/request_parsing.hpp"
#include "http/router.hpp"
#include "http/services.hpp"

namespace plugboard::http {
namespace {

namespace json = boost::json;

json::object render(const store::Connection& c, const std::vector<std::string>& credential_fields) {
  boost::system::error_code ec;
  json::value cfg = json::parse(c.configuration_json, ec);
  json::object creds;
  for (const auto& f : credential_fields) creds[f] = "[REDACTED]";
  return {{"id", c.id},
          {"integration_id", c.integration_id},
          {"provider", c.provider},
          {"name", c.name},
          {"status", c.status},
          {"auth_type", c.auth_type},
          {"workspace_id", c.workspace_id},
          {"project_id", c.project_id},
          {"configuration", ec ? json::value(json::object{}) : cfg},
          {"credentials", std::move(creds)},
          {"has_credentials", c.sealed_credentials.has_value()},
          {"created_on", c.created_at},
          {"updated_at", c.updated_at},
          {"last_sync", nullptr}};
}

}  // namespace

void add_connection_routes(Router& r, Services& s) {
  r.add("POST", "/api/v2/connections", Access::write, [&s](Exchange& ex) {
    auto body = require_object_body(ex);
    execute::NewConnection c;
    c.integration_id = req_string(body, "integration_id", 64);
    c.project_id = req_string(body, "project_id", 64);
    c.name = opt_string(body, "name").value_or("");
    c.auth_type = opt_string(body, "auth_type").value_or("");
    c.credentials = opt_object(body, "credentials");
    c.configuration = opt_object(body, "configuration").value_or(json::object{});
    if (auto ws = opt_string(body, "workspace_id"); ws && *ws != ex.principal->workspace_id)
      throw ServiceError("forbidden", "the API key does not have access to workspace " + *ws, "workspace_id");
    if (!ex.principal->allows_project(c.project_id))
      throw ServiceError("forbidden", "the API key does not have access to project " + c.project_id,
                         "project_id");
    if (!ex.principal->allows_integration(c.integration_id, c.integration_id))
      throw ServiceError("forbidden", "the API key does not have access to integration " + c.integration_id,
                         "integration_id");
    auto created = s.connections.create(ex.principal->workspace_id, c);
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
      for (const auto& c : s.connections.list(f, page)) list.push_back(render(c, s.connections.credential_fields(c)));
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

  r.add("DELETE", "/api/v2/connections/{id}", Access::write, [&s](Exchange& ex) {
    auto c = s.connections.get(ex.principal->workspace_id, ex.param("id"));
    if (!c || !ex.principal->allows_project(c->project_id))
      throw ServiceError::not_found("connection " + ex.param("id"));
    s.connections.remove(ex.principal->workspace_id, c->id);
    ex.send_text(204, "application/json", "");
  });
}

}  // namespace plugboard::http

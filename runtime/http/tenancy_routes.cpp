// Workspaces and projects. A key sees only its own workspace; anything else is 404, so
// a key cannot even learn which other workspaces exist.
#include "http/request_parsing.hpp"
#include "http/router.hpp"
#include "http/services.hpp"

namespace plugboard::http {
namespace {

namespace json = boost::json;

json::object render(const store::Workspace& w) {
  return {{"id", w.id}, {"name", w.name}, {"created_at", w.created_at}};
}
json::object render(const store::Project& p) {
  return {{"id", p.id}, {"workspace_id", p.workspace_id}, {"name", p.name}, {"created_at", p.created_at}};
}

// The workspace named in the path, when it is the caller's.
void require_own_workspace(const Exchange& ex, const std::string& id) {
  if (id != ex.principal->workspace_id) throw ServiceError::not_found("workspace " + id);
}

}  // namespace

void add_tenancy_routes(Router& r, Services& s) {
  r.add("GET", "/api/v2/workspaces", Access::read, [&s](Exchange& ex) {
    json::array list;
    if (auto w = s.tenancy.workspace(ex.principal->workspace_id)) list.push_back(render(*w));
    ex.send_json(200, json::object{{"workspaces", std::move(list)}, {"total", 1}});
  });

  // A new tenant, with its first admin key (shown once): the caller's key has no access to it.
  r.add("POST", "/api/v2/workspaces", Access::admin, [&s](Exchange& ex) {
    auto body = require_object_body(ex);
    auto w = s.tenancy.create_workspace(req_string(body, "name"));
    auto key = s.keys.create(w.id, "bootstrap admin key", {"admin"}, {}, {}, std::nullopt, std::nullopt);
    json::object out = render(w);
    out["api_key"] =
        json::object{{"id", key.record.id}, {"key", key.key}, {"operations", json::array{"admin"}}};
    ex.send_json(201, out);
  });

  r.add("GET", "/api/v2/workspaces/{id}", Access::read, [&s](Exchange& ex) {
    require_own_workspace(ex, ex.param("id"));
    auto w = s.tenancy.workspace(ex.param("id"));
    if (!w) throw ServiceError::not_found("workspace " + ex.param("id"));
    ex.send_json(200, render(*w));
  });

  r.add("GET", "/api/v2/workspaces/{id}/projects", Access::read, [&s](Exchange& ex) {
    require_own_workspace(ex, ex.param("id"));
    const auto page = page_from_query(ex);
    json::array list;
    std::int64_t total = 0;
    if (ex.principal->projects.empty()) {
      for (const auto& p : s.tenancy.projects(ex.param("id"), page)) list.push_back(render(p));
      total = s.tenancy.count_projects(ex.param("id"));
    } else {  // a key narrowed to projects sees those and nothing of the others, not even their number
      std::vector<store::Project> visible;
      for (const auto& id : ex.principal->projects)
        if (auto p = s.tenancy.project(ex.param("id"), id)) visible.push_back(*p);
      total = static_cast<std::int64_t>(visible.size());
      for (auto i = page.offset; i < total && i < page.offset + page.limit; ++i)
        list.push_back(render(visible[static_cast<std::size_t>(i)]));
    }
    ex.send_json(200, json::object{{"projects", std::move(list)}, {"total", total}});
  });

  r.add("POST", "/api/v2/workspaces/{id}/projects", Access::admin, [&s](Exchange& ex) {
    require_own_workspace(ex, ex.param("id"));
    auto body = require_object_body(ex);
    ex.send_json(201, render(s.tenancy.create_project(ex.param("id"), req_string(body, "name"))));
  });

  r.add("GET", "/api/v2/workspaces/{id}/projects/{project_id}", Access::read, [&s](Exchange& ex) {
    require_own_workspace(ex, ex.param("id"));
    auto p = s.tenancy.project(ex.param("id"), ex.param("project_id"));
    if (!p || !ex.principal->allows_project(p->id))
      throw ServiceError::not_found("project " + ex.param("project_id"));
    ex.send_json(200, render(*p));
  });

  r.add("DELETE", "/api/v2/workspaces/{id}/projects/{project_id}", Access::admin, [&s](Exchange& ex) {
    require_own_workspace(ex, ex.param("id"));
    store::ConnectionFilter f;
    f.workspace_id = ex.param("id");
    f.project_id = ex.param("project_id");
    store::ConnectionFilter disconnected = f;
    disconnected.status = "disconnected";  // kept for their logs; they hold no credentials
    if (s.connections.count(f) > s.connections.count(disconnected))
      throw ServiceError("conflict",
                         "project " + ex.param("project_id") + " still has connections; delete them first");
    if (!s.tenancy.remove_project(ex.param("id"), ex.param("project_id")))
      throw ServiceError::not_found("project " + ex.param("project_id"));
    ex.send_text(204, "application/json", "");
  });
}

}  // namespace plugboard::http

// API keys (seed 000): the secret is in the create response only; afterwards a key is
// known by its id and prefix.
#include "auth/audit_service.hpp"
#include "http/request_parsing.hpp"
#include "http/router.hpp"
#include "http/services.hpp"

namespace plugboard::http {
namespace {

namespace json = boost::json;

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

json::object render(const store::ApiKey& k) {
  json::object o{{"id", k.id},
                 {"name", k.name},
                 {"prefix", k.prefix},
                 {"workspace_id", k.workspace_id},
                 {"permissions", json::object{{"operations", strings(k.operations)},
                                              {"integrations", strings(k.integrations)},
                                              {"projects", strings(k.projects)}}},
                 {"expires_at", k.expires_at ? json::value(*k.expires_at) : json::value(nullptr)},
                 {"created_on", k.created_at},
                 {"last_used", k.last_used ? json::value(*k.last_used) : json::value(nullptr)},
                 {"revoked", k.revoked}};
  o["rate_limit"] = k.rate_limit
                        ? json::value(json::object{{"requests_per_hour", k.rate_limit->requests_per_hour},
                                                   {"burst_limit", k.rate_limit->burst_limit}})
                        : json::value(nullptr);
  return o;
}

std::optional<store::RateLimit> rate_limit_from(const json::object& body) {
  auto o = opt_object(body, "rate_limit");
  if (!o) return std::nullopt;
  store::RateLimit rl;
  for (auto [name, into] :
       {std::pair{"requests_per_hour", &rl.requests_per_hour}, std::pair{"burst_limit", &rl.burst_limit}}) {
    const auto* v = o->if_contains(name);
    if (v == nullptr || !v->is_int64() || v->get_int64() < 1)
      throw ServiceError::invalid(std::string("rate_limit.") + name,
                                  std::string("rate_limit.") + name + " must be a positive integer");
    *into = v->get_int64();
  }
  return rl;
}

}  // namespace

void add_api_key_routes(Router& r, Services& s) {
  r.add("POST", "/api/v2/api-keys", Access::admin, [&s](Exchange& ex) {
    auto body = require_object_body(ex);
    auto name = req_string(body, "name");
    auto perms = opt_object(body, "permissions").value_or(json::object{});
    auto operations = opt_strings(perms, "operations", "permissions");
    auto integrations = opt_strings(perms, "integrations", "permissions");
    auto projects = opt_strings(perms, "projects", "permissions");
    for (const auto& p : projects)
      if (!s.tenancy.project(ex.principal->workspace_id, p))
        throw ServiceError::invalid("permissions.projects",
                                    "project " + p + " does not exist in this workspace");
    auto rate_limit = rate_limit_from(body);
    auto expires_at = opt_string(body, "expires_at");
    try {
      auto created = s.keys.create(ex.principal->workspace_id, name, operations, integrations, projects,
                                   expires_at, rate_limit);
      // The view holds the prefix, never the key or its hash.
      s.audit.record(ex.principal.get(), ex.request_id(), "create", "api_key", created.record.id, {},
                     auth::audit_view(created.record));
      json::object out = render(created.record);
      out["key"] = created.key;
      ex.send_json(201, out);
    } catch (const std::invalid_argument& e) {
      throw ServiceError::invalid(expires_at && std::string(e.what()).find("expires_at") != std::string::npos
                                      ? "expires_at"
                                      : "permissions.operations",
                                  e.what());
    }
  });

  r.add("GET", "/api/v2/api-keys", Access::admin, [&s](Exchange& ex) {
    json::array list;
    for (const auto& k : s.keys.list(ex.principal->workspace_id, page_from_query(ex)))
      list.push_back(render(k));
    const auto total = s.keys.count(ex.principal->workspace_id);
    ex.send_json(200, json::object{{"api_keys", std::move(list)}, {"total", total}});
  });

  r.add("GET", "/api/v2/api-keys/{id}", Access::admin, [&s](Exchange& ex) {
    auto k = s.keys.get(ex.principal->workspace_id, ex.param("id"));
    if (!k) throw ServiceError::not_found("API key " + ex.param("id"));
    ex.send_json(200, render(*k));
  });

  r.add("DELETE", "/api/v2/api-keys/{id}", Access::admin, [&s](Exchange& ex) {
    const auto before = s.keys.get(ex.principal->workspace_id, ex.param("id"));
    if (!before || !s.keys.revoke(ex.principal->workspace_id, ex.param("id")))
      throw ServiceError::not_found("API key " + ex.param("id"));
    auto after = s.keys.get(ex.principal->workspace_id, before->id).value_or(*before);
    after.revoked = true;
    s.audit.record(ex.principal.get(), ex.request_id(), "revoke", "api_key", before->id,
                   auth::audit_view(*before), auth::audit_view(after));
    ex.send_text(204, "application/json", "");
  });
}

}  // namespace plugboard::http

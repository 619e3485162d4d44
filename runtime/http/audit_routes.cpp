// The audit log (seed 001 "Get Audit Log"): who changed which integration, connection or API
// key, newest first, a cursor page at a time. Admins only (seed 003: admins read logs); a key
// sees its own workspace's entries only.
#include "auth/audit_service.hpp"
#include "http/request_parsing.hpp"
#include "http/router.hpp"
#include "http/services.hpp"

namespace plugboard::http {
namespace {

namespace json = boost::json;

void send_page(Exchange& ex, Services& s, store::AuditFilter f) {
  f.action = ex.query("action");
  f.resource_id = ex.query("resource_id");
  if (auto type = ex.query("resource_type")) {
    if (*type != "integration" && *type != "connection" && *type != "api_key")
      throw ServiceError::invalid("resource_type",
                                  "resource_type must be one of integration, connection, api_key");
    f.resource_type = *type;
  }
  f.since = date_bound_query(ex, "start_date", false);
  f.until = date_bound_query(ex, "end_date", true);
  if (f.since && f.until && *f.since > *f.until)
    throw ServiceError::invalid("end_date", "end_date must not be before start_date");
  const auto limit = page_from_query(ex, 500).limit;
  auto page = s.audit.list(f, ex.query("cursor"), limit);
  json::array entries;
  for (const auto& e : page.entries) entries.push_back(auth::AuditService::render(e));
  ex.send_json(200, json::object{{"entries", std::move(entries)},
                                 {"next_cursor",
                                  page.next_cursor ? json::value(*page.next_cursor) : json::value(nullptr)},
                                 {"limit", limit}});
}

}  // namespace

void add_audit_routes(Router& r, Services& s) {
  // ?resource_type=&resource_id=&action=&start_date=&end_date=&cursor=&limit=
  r.add("GET", "/api/v2/audit", Access::admin, [&s](Exchange& ex) {
    store::AuditFilter f;
    f.workspace_id = ex.principal->workspace_id;
    send_page(ex, s, std::move(f));
  });

  // One integration (by id or slug): its own entries and those of its connections.
  r.add("GET", "/api/v2/integrations/{id}/audit", Access::admin, [&s](Exchange& ex) {
    const auto i = s.integrations.get(ex.principal->workspace_id, ex.param("id"));
    store::AuditFilter f;
    f.workspace_id = ex.principal->workspace_id;
    f.integration_id = i.id;
    send_page(ex, s, std::move(f));
  });
}

}  // namespace plugboard::http

// The audit log (seed 001 "Get Audit Log"): who changed which integration, connection or API
// key, newest first, a cursor page at a time. Admins only (seed 003: admins read logs); a key
// sees its own workspace's entries only.
#include "auth/audit_service.hpp"
#include "http/request_parsing.hpp"
#include "http/router.hpp"
#include "http/services.hpp"
#include "store/iso_time.hpp"

#include <regex>

namespace plugboard::http {
namespace {

namespace json = boost::json;

// ?start_date= / ?end_date=: ISO 8601, or a bare date meaning the start or end of that day (UTC).
std::optional<std::string> date_query(const Exchange& ex, const char* name, bool end_of_day) {
  auto s = ex.query(name);
  if (!s) return std::nullopt;
  static const std::regex kDate(R"(\d{4}-\d{2}-\d{2})");
  std::string text = *s;
  if (std::regex_match(text, kDate)) text += end_of_day ? "T23:59:59Z" : "T00:00:00Z";
  auto t = store::parse_iso(text);
  if (!t)
    throw ServiceError::invalid(name,
                                std::string(name) + " must be an ISO 8601 time, e.g. 2024-01-15T12:00:00Z");
  // system_clock spans 1678..2261 only; bounds beyond it are clamped, not wrapped around.
  const int year = std::stoi(text.substr(0, 4));
  if (year >= 2200) return "9999-12-31T23:59:59Z";
  if (year < 1700) return "0000-01-01T00:00:00Z";
  return store::to_iso(*t);
}

void send_page(Exchange& ex, Services& s, store::AuditFilter f) {
  f.action = ex.query("action");
  f.resource_id = ex.query("resource_id");
  if (auto type = ex.query("resource_type")) {
    if (*type != "integration" && *type != "connection" && *type != "api_key")
      throw ServiceError::invalid("resource_type",
                                  "resource_type must be one of integration, connection, api_key");
    f.resource_type = *type;
  }
  f.since = date_query(ex, "start_date", false);
  f.until = date_query(ex, "end_date", true);
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

// Outbound webhooks (seed 000 "Webhooks"; seed 003 integration.createCustom): CRUD, a signed
// test delivery, the delivery log and manual retry. Secrets go in and never come back out,
// except the signing secret in create's answer.
#include "auth/audit_service.hpp"
#include "http/request_parsing.hpp"
#include "http/router.hpp"
#include "http/services.hpp"
#include "http/webhook_view.hpp"
#include "store/iso_time.hpp"

namespace plugboard::http {
namespace {

namespace json = boost::json;

// The webhook, when the key may see it: its workspace, and its project for a narrowed key
// (a workspace-wide webhook is not visible to a key narrowed to some projects).
store::WebhookRecord visible_webhook(Services& s, Exchange& ex, const std::string& id) {
  auto w = s.webhooks.get(ex.principal->workspace_id, id);
  if (!w || !ex.principal->allows_project(w->project_id)) throw ServiceError::not_found("webhook " + id);
  return *w;
}

void check_project(const Exchange& ex, const std::optional<std::string>& project_id) {
  if (ex.principal->projects.empty()) return;
  if (!project_id || project_id->empty())
    throw ServiceError("forbidden", "the API key is limited to some projects: give project_id", "project_id");
  if (!ex.principal->allows_project(*project_id))
    throw ServiceError("forbidden", "the API key does not have access to project " + *project_id,
                       "project_id");
}

// start_date/end_date: ISO 8601 times, or dates (a whole day).
std::optional<std::string> date_query(const Exchange& ex, const char* name, bool end_of_day) {
  auto v = ex.query(name);
  if (!v) return std::nullopt;
  const bool date_only = v->size() == 10;
  const std::string text = date_only ? *v + (end_of_day ? "T23:59:59Z" : "T00:00:00Z") : *v;
  auto t = store::parse_iso(text);
  if (!t) throw ServiceError::invalid(name, std::string(name) + " must be an ISO 8601 date or time");
  // A date is already in the stored form; times are converted to it (UTC, whole seconds).
  return date_only ? text : store::to_iso(*t);
}

}  // namespace

void add_webhook_routes(Router& r, Services& s) {
  r.add("POST", "/api/v2/webhooks", Access::admin, [&s](Exchange& ex) {
    auto in = webhook_input(require_object_body(ex), ex.principal->workspace_id);
    check_project(ex, in.project_id);
    auto created = s.webhooks.create(ex.principal->workspace_id, in);
    const auto names = s.webhooks.header_names(created.record);
    s.audit.record(ex.principal.get(), ex.request_id(), "create", "webhook", created.record.id, {},
                   audit_webhook(created.record, names));
    auto out = render_webhook(created.record, names);
    out["secret"] = created.secret;         // seed 000: shown once
    out["webhookSecret"] = created.secret;  // seed 003's name for it
    ex.send_json(201, out);
  });

  r.add("GET", "/api/v2/webhooks", Access::read, [&s](Exchange& ex) {
    const auto page = page_from_query(ex);
    store::WebhookFilter f;
    f.workspace_id = ex.principal->workspace_id;
    f.project_id = ex.query("project_id");
    f.project_ids = ex.principal->projects;
    if (auto t = ex.query("table_id")) f.table_ids = events::table_id_texts(*t);
    if (auto a = ex.query("active")) {
      if (*a != "true" && *a != "false")
        throw ServiceError::invalid("active", "active must be true or false");
      f.active = *a == "true";
    }
    f.event = ex.query("event");
    json::array list;
    for (const auto& w : s.webhooks.list(f, page))
      list.push_back(render_webhook(w, s.webhooks.header_names(w)));
    ex.send_json(200, json::object{{"webhooks", std::move(list)},
                                   {"total", s.webhooks.count(f)},
                                   {"limit", page.limit},
                                   {"offset", page.offset}});
  });

  r.add("GET", "/api/v2/webhooks/{id}", Access::read, [&s](Exchange& ex) {
    auto w = visible_webhook(s, ex, ex.param("id"));
    ex.send_json(200, render_webhook(w, s.webhooks.header_names(w)));
  });

  r.add("PATCH", "/api/v2/webhooks/{id}", Access::admin, [&s](Exchange& ex) {
    auto before = visible_webhook(s, ex, ex.param("id"));
    auto in = webhook_input(require_object_body(ex), ex.principal->workspace_id);
    if (in.project_id) check_project(ex, in.project_id);
    const auto old_names = s.webhooks.header_names(before);
    auto updated = s.webhooks.update(ex.principal->workspace_id, before.id, in);
    const auto names = s.webhooks.header_names(updated);
    s.audit.record(ex.principal.get(), ex.request_id(), "update", "webhook", updated.id,
                   audit_webhook(before, old_names), audit_webhook(updated, names));
    ex.send_json(200, render_webhook(updated, names));
  });

  r.add("DELETE", "/api/v2/webhooks/{id}", Access::admin, [&s](Exchange& ex) {
    auto w = visible_webhook(s, ex, ex.param("id"));
    const auto names = s.webhooks.header_names(w);
    if (s.webhooks.remove(ex.principal->workspace_id, w.id))
      s.audit.record(ex.principal.get(), ex.request_id(), "delete", "webhook", w.id, audit_webhook(w, names),
                     {});
    ex.send_text(204, "application/json", "");
  });

  // Seed 000's test: one signed POST now, answered with what the receiver said.
  r.add("POST", "/api/v2/webhooks/{id}/test", Access::admin, [&s](Exchange& ex) {
    auto w = visible_webhook(s, ex, ex.param("id"));
    json::object payload;
    if (!ex.body().empty()) {
      auto body = require_object_body(ex);
      for (const auto& kv : body)
        if (kv.key() != "test_data")
          throw ServiceError::invalid(std::string(kv.key()), "the body has test_data only");
      payload = opt_object(body, "test_data").value_or(json::object{});
    }
    auto t = s.webhooks.test(ex.principal->workspace_id, w.id, std::move(payload));
    const auto& a = t.attempt;
    json::object out{{"status", a.success ? "success" : "failed"},
                     {"response_code", a.status_code ? json::value(*a.status_code) : json::value(nullptr)},
                     {"response_body", a.body},
                     {"response_time_ms", a.time_ms},
                     {"delivered_at", a.at},
                     {"delivery_id", t.delivery_id}};
    if (!a.error.empty()) out["error"] = a.error;
    ex.send_json(200, out);
  });

  r.add("GET", "/api/v2/webhooks/{id}/deliveries", Access::admin, [&s](Exchange& ex) {
    auto w = visible_webhook(s, ex, ex.param("id"));
    store::DeliveryFilter f;
    f.webhook_id = w.id;
    f.status = ex.query("status");
    if (f.status && *f.status != "pending" && *f.status != "retrying" && *f.status != "success" &&
        *f.status != "failed")
      throw ServiceError::invalid("status", "status must be pending, retrying, success or failed");
    f.since = date_query(ex, "start_date", false);
    f.until = date_query(ex, "end_date", true);
    // Seed 000's limit, and API.md's cursor for a log that grows while it is read.
    const auto limit = page_from_query(ex).limit;
    auto page = s.webhooks.deliveries(f, ex.query("cursor"), limit);
    json::array list;
    for (const auto& d : page.deliveries) list.push_back(render_delivery(d));
    ex.send_json(200, json::object{{"deliveries", std::move(list)},
                                   {"limit", limit},
                                   {"total", page.total},
                                   {"next_cursor", page.next_cursor ? json::value(*page.next_cursor)
                                                                    : json::value(nullptr)}});
  });

  // The same delivery (same id, for the receiver's idempotency) queued again.
  r.add("POST", "/api/v2/webhooks/deliveries/{id}/retry", Access::admin, [&s](Exchange& ex) {
    auto found = s.webhooks.delivery(ex.principal->workspace_id, ex.param("id"));
    if (!found || !ex.principal->allows_project(found->second.project_id))
      throw ServiceError::not_found("delivery " + ex.param("id"));
    ex.send_json(202, render_delivery(s.webhooks.retry(ex.principal->workspace_id, found->first.id)));
  });
}

}  // namespace plugboard::http

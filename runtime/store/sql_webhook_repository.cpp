#include "store/sql_event_repositories.hpp"
#include "store/sql_rows.hpp"

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Session;
using Poco::Data::Statement;

namespace {

constexpr const char* kColumns =
    "SELECT id, workspace_id, project_id, name, description, url, events, table_id, sealed_headers,"
    " sealed_secret, active, max_retries, retry_delay_ms, exponential_backoff, consecutive_failures,"
    " disabled_reason, created_at, updated_at FROM webhooks ";

WebhookRecord read_webhook(const RecordSet& rs, std::size_t row) {
  WebhookRecord w;
  w.id = text(rs, "id", row);
  w.workspace_id = text(rs, "workspace_id", row);
  w.project_id = optional_text(rs, "project_id", row).value_or("");
  w.name = text(rs, "name", row);
  w.description = text(rs, "description", row);
  w.url = text(rs, "url", row);
  w.events_json = text(rs, "events", row);
  w.table_id = optional_text(rs, "table_id", row);
  w.sealed_headers = optional_text(rs, "sealed_headers", row);
  w.sealed_secret = text(rs, "sealed_secret", row);
  w.active = integer(rs, "active", row) != 0;
  w.max_retries = integer(rs, "max_retries", row);
  w.retry_delay_ms = integer(rs, "retry_delay_ms", row);
  w.exponential_backoff = integer(rs, "exponential_backoff", row) != 0;
  w.consecutive_failures = integer(rs, "consecutive_failures", row);
  w.disabled_reason = text(rs, "disabled_reason", row);
  w.created_at = text(rs, "created_at", row);
  w.updated_at = text(rs, "updated_at", row);
  return w;
}

// WHERE clause for a filter, binding straight from the filter (it outlives the statement).
std::string where_clause(const Db& db, Statement& st, const WebhookFilter& f) {
  std::string sql = "WHERE workspace_id = ?";
  st.addBind(useRef(f.workspace_id));
  if (f.project_id) {
    sql += " AND project_id = ?";
    st.addBind(useRef(*f.project_id));
  }
  auto in_list = [&](const char* column, const std::vector<std::string>& values) {
    sql += std::string(" AND ") + column + " IN (?";
    for (std::size_t i = 1; i < values.size(); ++i) sql += ", ?";
    sql += ")";
    for (const auto& v : values) st.addBind(useRef(v));
  };
  if (!f.project_ids.empty()) in_list("project_id", f.project_ids);
  if (!f.table_ids.empty()) in_list("table_id", f.table_ids);
  if (f.active) sql += *f.active ? " AND active = 1" : " AND active = 0";
  if (f.event) {
    // events is a JSON array of validated type names (no characters JSON would escape), so
    // the quoted name occurs in its text exactly when it is in the list. A substring test, not
    // LIKE: '_' is common in type names and a LIKE wildcard.
    sql += " AND (events = '[]' OR " + db.contains("events", "'\"' || CAST(? AS TEXT) || '\"'") + ")";
    st.addBind(useRef(*f.event));
  }
  return sql;
}

}  // namespace

void SqlWebhookRepository::create(const WebhookRecord& w) {
  db_.run("creating webhook", [&](Session& s) {
    Poco::Nullable<std::string> project =
        w.project_id.empty() ? Poco::Nullable<std::string>() : Poco::Nullable<std::string>(w.project_id);
    Poco::Nullable<std::string> table = to_nullable(w.table_id);
    Poco::Nullable<std::string> headers = to_nullable(w.sealed_headers);
    int active = w.active ? 1 : 0;
    int exponential = w.exponential_backoff ? 1 : 0;
    Poco::Int64 max_retries = w.max_retries, delay = w.retry_delay_ms, failures = w.consecutive_failures;
    s << db_.sql(
        "INSERT INTO webhooks (id, workspace_id, project_id, name, description, url, events, table_id,"
        " sealed_headers, sealed_secret, active, max_retries, retry_delay_ms, exponential_backoff,"
        " consecutive_failures, disabled_reason, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        useRef(w.id), useRef(w.workspace_id), use(project), useRef(w.name), useRef(w.description),
        useRef(w.url), useRef(w.events_json), use(table), use(headers), useRef(w.sealed_secret), use(active),
        use(max_retries), use(delay), use(exponential), use(failures), useRef(w.disabled_reason),
        useRef(w.created_at), useRef(w.updated_at), now;
  });
}

std::optional<WebhookRecord> SqlWebhookRepository::get(const std::string& id) {
  return db_.run("reading webhook", [&](Session& s) {
    Statement st(s);
    st << db_.sql(std::string(kColumns) + "WHERE id = ?"), useRef(id);
    return select_one(st, read_webhook);
  });
}

std::vector<WebhookRecord> SqlWebhookRepository::list(const WebhookFilter& filter, const Page& page) {
  return db_.run("listing webhooks", [&](Session& s) {
    SqlPage p(page);
    Statement st(s);
    const std::string where = where_clause(db_, st, filter);
    st << db_.sql(std::string(kColumns) + where + " ORDER BY created_at, id LIMIT ? OFFSET ?"), use(p.limit),
        use(p.offset);
    return select_rows(st, read_webhook);
  });
}

std::int64_t SqlWebhookRepository::count(const WebhookFilter& filter) {
  return db_.run("counting webhooks", [&](Session& s) {
    Poco::Int64 n = 0;
    Statement st(s);
    const std::string where = where_clause(db_, st, filter);
    st << db_.sql("SELECT COUNT(*) FROM webhooks " + where), into(n);
    st.execute();
    return static_cast<std::int64_t>(n);
  });
}

void SqlWebhookRepository::update(const WebhookRecord& w) {
  db_.run("updating webhook", [&](Session& s) {
    Poco::Nullable<std::string> project =
        w.project_id.empty() ? Poco::Nullable<std::string>() : Poco::Nullable<std::string>(w.project_id);
    Poco::Nullable<std::string> table = to_nullable(w.table_id);
    Poco::Nullable<std::string> headers = to_nullable(w.sealed_headers);
    int active = w.active ? 1 : 0;
    int exponential = w.exponential_backoff ? 1 : 0;
    Poco::Int64 max_retries = w.max_retries, delay = w.retry_delay_ms, failures = w.consecutive_failures;
    Statement st(s);
    st << db_.sql(
        "UPDATE webhooks SET project_id = ?, name = ?, description = ?, url = ?, events = ?, table_id = ?,"
        " sealed_headers = ?, sealed_secret = ?, active = ?, max_retries = ?, retry_delay_ms = ?,"
        " exponential_backoff = ?, consecutive_failures = ?, disabled_reason = ?, updated_at = ?"
        " WHERE id = ?"),
        use(project), useRef(w.name), useRef(w.description), useRef(w.url), useRef(w.events_json), use(table),
        use(headers), useRef(w.sealed_secret), use(active), use(max_retries), use(delay), use(exponential),
        use(failures), useRef(w.disabled_reason), useRef(w.updated_at), useRef(w.id);
    if (st.execute() == 0) throw NotFoundError("webhook " + w.id + " does not exist");
  });
}

bool SqlWebhookRepository::remove(const std::string& id) {
  return db_.run("removing webhook", [&](Session& s) {
    Statement st(s);
    st << db_.sql("DELETE FROM webhooks WHERE id = ?"), useRef(id);
    return st.execute() > 0;
  });
}

std::vector<WebhookRecord> SqlWebhookRepository::list_active(const std::string& workspace_id) {
  return db_.run("listing active webhooks", [&](Session& s) {
    Statement st(s);
    st << db_.sql(std::string(kColumns) + "WHERE workspace_id = ? AND active = 1 ORDER BY created_at, id"),
        useRef(workspace_id);
    return select_rows(st, read_webhook);
  });
}

void SqlWebhookRepository::record_success(const std::string& id) {
  db_.run("recording webhook success", [&](Session& s) {
    s << db_.sql("UPDATE webhooks SET consecutive_failures = 0 WHERE id = ? AND consecutive_failures <> 0"),
        useRef(id), now;
  });
}

bool SqlWebhookRepository::record_failure(const std::string& id, std::int64_t threshold,
                                          const std::string& reason, const std::string& now_text) {
  return db_.run("recording webhook failure", [&](Session& s) {
    Transaction tx(db_, s);
    s << db_.sql("UPDATE webhooks SET consecutive_failures = consecutive_failures + 1 WHERE id = ?"),
        useRef(id), now;
    Poco::Int64 limit = threshold;
    Statement off(s);
    off << db_.sql(
        "UPDATE webhooks SET active = 0, disabled_reason = ?, updated_at = ?"
        " WHERE id = ? AND active = 1 AND ? > 0 AND consecutive_failures >= ?"),
        useRef(reason), useRef(now_text), useRef(id), use(limit), use(limit);
    const bool switched_off = off.execute() > 0;
    tx.commit();
    return switched_off;
  });
}

}  // namespace plugboard::store

// The outbox. A claim is one transaction (select due rows, lease them): on SQLite it is
// IMMEDIATE, so no two claimers see the same row unleased; on PostgreSQL the SELECT locks the
// rows it returns and skips rows other nodes hold (FOR UPDATE SKIP LOCKED).
// webhook_deliveries.rowid is SQLite's implicit row id; on PostgreSQL an identity column of
// that name (migration 7), so the log's insertion order reads the same in both dialects.
#include "store/sql_event_repositories.hpp"
#include "store/sql_rows.hpp"

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Session;
using Poco::Data::Statement;

namespace {

constexpr const char* kColumns =
    "SELECT rowid AS seq, id, webhook_id, event_id, event_type, payload, status, attempts, next_attempt_at, "
    "response_code,"
    " response_body, response_time_ms, delivered_at, last_error, leased_by, lease_until, created_at,"
    " updated_at FROM webhook_deliveries ";

WebhookDelivery read_delivery(const RecordSet& rs, std::size_t row) {
  WebhookDelivery d;
  d.seq = integer(rs, "seq", row);
  d.id = text(rs, "id", row);
  d.webhook_id = text(rs, "webhook_id", row);
  d.event_id = text(rs, "event_id", row);
  d.event_type = text(rs, "event_type", row);
  d.payload_json = text(rs, "payload", row);
  d.status = text(rs, "status", row);
  d.attempts = integer(rs, "attempts", row);
  d.next_attempt_at_ms = integer(rs, "next_attempt_at", row);
  d.response_code = optional_integer(rs, "response_code", row);
  d.response_body = text(rs, "response_body", row);
  d.response_time_ms = optional_integer(rs, "response_time_ms", row);
  d.delivered_at = optional_text(rs, "delivered_at", row);
  d.last_error = text(rs, "last_error", row);
  d.leased_by = text(rs, "leased_by", row);
  d.lease_until_ms = integer(rs, "lease_until", row);
  d.created_at = text(rs, "created_at", row);
  d.updated_at = text(rs, "updated_at", row);
  return d;
}

Poco::Nullable<Poco::Int64> to_nullable_int(const std::optional<std::int64_t>& v) {
  return v ? Poco::Nullable<Poco::Int64>(*v) : Poco::Nullable<Poco::Int64>();
}

// One INSERT; false when (webhook_id, event_id) is already queued.
bool insert_delivery(const Db& db, Session& s, const WebhookDelivery& d) {
  Poco::Int64 attempts = d.attempts, next = d.next_attempt_at_ms;
  Poco::Nullable<Poco::Int64> code = to_nullable_int(d.response_code);
  Poco::Nullable<Poco::Int64> time = to_nullable_int(d.response_time_ms);
  Poco::Nullable<std::string> delivered = to_nullable(d.delivered_at);
  Statement st(s);
  st << db.sql(
      "INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, payload, status, attempts,"
      " next_attempt_at, response_code, response_body, response_time_ms, delivered_at, last_error,"
      " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
      " ON CONFLICT (webhook_id, event_id) DO NOTHING"),
      useRef(d.id), useRef(d.webhook_id), useRef(d.event_id), useRef(d.event_type), useRef(d.payload_json),
      useRef(d.status), use(attempts), use(next), use(code), useRef(d.response_body), use(time),
      use(delivered), useRef(d.last_error), useRef(d.created_at), useRef(d.updated_at);
  return st.execute() > 0;
}

}  // namespace

bool SqlDeliveryRepository::enqueue(const WebhookDelivery& d) {
  return db_.run("queueing webhook delivery", [&](Session& s) { return insert_delivery(db_, s, d); });
}

std::int64_t SqlDeliveryRepository::enqueue_all(const std::vector<WebhookDelivery>& ds) {
  if (ds.empty()) return 0;
  return db_.run("queueing webhook deliveries", [&](Session& s) {
    Transaction tx(db_, s);
    std::int64_t added = 0;
    for (const auto& d : ds) added += insert_delivery(db_, s, d) ? 1 : 0;
    tx.commit();
    return added;
  });
}

std::optional<WebhookDelivery> SqlDeliveryRepository::get(const std::string& id) {
  return db_.run("reading webhook delivery", [&](Session& s) {
    Statement st(s);
    st << db_.sql(std::string(kColumns) + "WHERE id = ?"), useRef(id);
    return select_one(st, read_delivery);
  });
}

namespace {

// The WHERE clause of a delivery log query, its values bound to `st`.
std::string log_where(const DeliveryFilter& f, Statement& st, bool with_position) {
  std::string sql = " WHERE webhook_id = ?";
  st.addBind(useRef(f.webhook_id));
  if (f.status) {
    sql += " AND status = ?";
    st.addBind(useRef(*f.status));
  }
  if (f.since) {
    sql += " AND created_at >= ?";
    st.addBind(useRef(*f.since));
  }
  if (f.until) {
    sql += " AND created_at <= ?";
    st.addBind(useRef(*f.until));
  }
  if (with_position && f.after) {
    sql += " AND (created_at < ? OR (created_at = ? AND rowid < ?))";
    st.addBind(useRef(f.after->created_at));
    st.addBind(useRef(f.after->created_at));
    st.addBind(useRef(f.after->seq));
  }
  return sql;
}

}  // namespace

std::vector<WebhookDelivery> SqlDeliveryRepository::list(const DeliveryFilter& f, std::int64_t limit) {
  return db_.run("listing webhook deliveries", [&](Session& s) {
    Statement st(s);
    const std::string sql = std::string(kColumns) + log_where(f, st, true);
    Poco::Int64 n = std::max<std::int64_t>(limit, 0);
    st << db_.sql(sql + " ORDER BY created_at DESC, rowid DESC LIMIT ?"), use(n);
    return select_rows(st, read_delivery);
  });
}

std::int64_t SqlDeliveryRepository::count(const DeliveryFilter& f) {
  return db_.run("counting webhook deliveries", [&](Session& s) {
    Statement st(s);
    Poco::Int64 n = 0;
    const std::string sql = "SELECT COUNT(*) FROM webhook_deliveries" + log_where(f, st, false);
    st << db_.sql(sql), into(n), now;
    return static_cast<std::int64_t>(n);
  });
}

std::vector<WebhookDelivery> SqlDeliveryRepository::claim(const std::string& node, std::int64_t now_ms,
                                                          std::int64_t lease_ms, std::int64_t limit) {
  return db_.run("claiming webhook deliveries", [&](Session& s) {
    Transaction tx(db_, s);
    Poco::Int64 now_v = now_ms, n = std::max<std::int64_t>(limit, 0);
    Statement st(s);
    st << db_.sql(std::string(kColumns) +
                  "WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ? AND lease_until <= ?"
                  " ORDER BY next_attempt_at, created_at LIMIT ?" +
                  db_.skip_locked()),
        use(now_v), use(now_v), use(n);
    auto rows = select_rows(st, read_delivery);
    Poco::Int64 until = now_ms + lease_ms;
    for (auto& d : rows) {
      s << db_.sql("UPDATE webhook_deliveries SET leased_by = ?, lease_until = ? WHERE id = ?"), useRef(node),
          use(until), useRef(d.id), now;
      d.leased_by = node;
      d.lease_until_ms = until;
    }
    tx.commit();
    return rows;
  });
}

std::optional<std::int64_t> SqlDeliveryRepository::next_due_ms() {
  return db_.run("reading next webhook delivery time", [&](Session& s) {
    Poco::Nullable<Poco::Int64> next;
    s << db_.sql(
        "SELECT MIN(CASE WHEN next_attempt_at > lease_until THEN next_attempt_at ELSE lease_until END)"
        " FROM webhook_deliveries"
        " WHERE status IN ('pending', 'retrying')"),
        into(next), now;
    return next.isNull() ? std::nullopt : std::optional<std::int64_t>(next.value());
  });
}

bool SqlDeliveryRepository::finish(const WebhookDelivery& d, const std::string& node) {
  return db_.run("recording webhook delivery attempt", [&](Session& s) {
    Poco::Int64 attempts = d.attempts, next = d.next_attempt_at_ms;
    Poco::Nullable<Poco::Int64> code = to_nullable_int(d.response_code);
    Poco::Nullable<Poco::Int64> time = to_nullable_int(d.response_time_ms);
    Poco::Nullable<std::string> delivered = to_nullable(d.delivered_at);
    Statement st(s);
    st << db_.sql(
        "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, response_code = ?,"
        " response_body = ?, response_time_ms = ?, delivered_at = ?, last_error = ?, updated_at = ?,"
        " leased_by = '', lease_until = 0 WHERE id = ? AND leased_by = ?"),
        useRef(d.status), use(attempts), use(next), use(code), useRef(d.response_body), use(time),
        use(delivered), useRef(d.last_error), useRef(d.updated_at), useRef(d.id), useRef(node);
    return st.execute() > 0;
  });
}

bool SqlDeliveryRepository::requeue(const std::string& id, std::int64_t now_ms, const std::string& now_text) {
  return db_.run("requeueing webhook delivery", [&](Session& s) {
    Poco::Int64 next = now_ms;
    Statement st(s);
    st << db_.sql(
        "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?,"
        " leased_by = '', lease_until = 0, updated_at = ? WHERE id = ? AND status = 'failed'"),
        use(next), useRef(now_text), useRef(id);
    return st.execute() > 0;
  });
}

std::int64_t SqlDeliveryRepository::prune(const std::string& cutoff, std::int64_t limit) {
  return db_.run("pruning webhook deliveries", [&](Session& s) {
    Poco::Int64 n = std::max<std::int64_t>(limit, 0);
    Statement st(s);
    st << db_.sql(
        "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries"
        " WHERE created_at < ? AND status IN ('success', 'failed') ORDER BY created_at LIMIT ?)"),
        useRef(cutoff), use(n);
    return static_cast<std::int64_t>(st.execute());
  });
}

}  // namespace plugboard::store

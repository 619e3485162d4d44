#include "store/sql_trigger_repository.hpp"

#include "store/sql_rows.hpp"

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Session;
using Poco::Data::Statement;

namespace {

constexpr const char* kColumns =
    "SELECT id, workspace_id, project_id, connection_id, provider, trigger_slug, kind, name, "
    "interval_seconds,"
    " config,"
    " sealed_secrets, state, status, status_reason, next_run_at, expires_at, last_run_at,"
    " consecutive_failures, leased_by, lease_until, created_at, updated_at FROM trigger_subscriptions ";

TriggerSubscription read_subscription(const RecordSet& rs, std::size_t row) {
  TriggerSubscription t;
  t.id = text(rs, "id", row);
  t.workspace_id = text(rs, "workspace_id", row);
  t.project_id = text(rs, "project_id", row);
  t.connection_id = text(rs, "connection_id", row);
  t.provider = text(rs, "provider", row);
  t.trigger = text(rs, "trigger_slug", row);
  t.kind = text(rs, "kind", row);
  t.name = text(rs, "name", row);
  t.interval_seconds = integer(rs, "interval_seconds", row);
  t.config_json = text(rs, "config", row);
  t.sealed_secrets = optional_text(rs, "sealed_secrets", row);
  t.state_json = text(rs, "state", row);
  t.status = text(rs, "status", row);
  t.status_reason = text(rs, "status_reason", row);
  t.next_run_at = text(rs, "next_run_at", row);
  t.expires_at = text(rs, "expires_at", row);
  t.last_run_at = text(rs, "last_run_at", row);
  t.consecutive_failures = integer(rs, "consecutive_failures", row);
  t.leased_by = text(rs, "leased_by", row);
  t.lease_until = text(rs, "lease_until", row);
  t.created_at = text(rs, "created_at", row);
  t.updated_at = text(rs, "updated_at", row);
  return t;
}

std::string where_clause(Statement& st, const TriggerFilter& f) {
  std::string sql = "WHERE workspace_id = ?";
  st.addBind(useRef(f.workspace_id));
  auto equals = [&](const char* column, const std::optional<std::string>& value) {
    if (!value) return;
    sql += std::string(" AND ") + column + " = ?";
    st.addBind(useRef(*value));
  };
  equals("project_id", f.project_id);
  equals("connection_id", f.connection_id);
  equals("provider", f.provider);
  equals("status", f.status);
  if (!f.project_ids.empty()) {
    sql += " AND project_id IN (?";
    for (std::size_t i = 1; i < f.project_ids.size(); ++i) sql += ", ?";
    sql += ")";
    for (const auto& id : f.project_ids) st.addBind(useRef(id));
  }
  return sql;
}

}  // namespace

void SqlTriggerRepository::create(const TriggerSubscription& t) {
  db_.run("creating trigger subscription", [&](Session& s) {
    Poco::Nullable<std::string> secrets = to_nullable(t.sealed_secrets);
    Poco::Int64 failures = t.consecutive_failures;
    Poco::Int64 interval = t.interval_seconds;
    s << db_.sql(
        "INSERT INTO trigger_subscriptions (id, workspace_id, project_id, connection_id, provider, "
        "trigger_slug,"
        " kind, name, interval_seconds, config, sealed_secrets, state, status, status_reason, next_run_at,"
        " expires_at, last_run_at, consecutive_failures, leased_by, lease_until, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        useRef(t.id), useRef(t.workspace_id), useRef(t.project_id), useRef(t.connection_id),
        useRef(t.provider), useRef(t.trigger), useRef(t.kind), useRef(t.name), use(interval),
        useRef(t.config_json), use(secrets), useRef(t.state_json), useRef(t.status), useRef(t.status_reason),
        useRef(t.next_run_at), useRef(t.expires_at), useRef(t.last_run_at), use(failures),
        useRef(t.leased_by), useRef(t.lease_until), useRef(t.created_at), useRef(t.updated_at), now;
  });
}

std::optional<TriggerSubscription> SqlTriggerRepository::get(const std::string& id) {
  return db_.run("reading trigger subscription", [&](Session& s) {
    Statement st(s);
    st << db_.sql(std::string(kColumns) + "WHERE id = ?"), useRef(id);
    return select_one(st, read_subscription);
  });
}

std::vector<TriggerSubscription> SqlTriggerRepository::list(const TriggerFilter& filter, const Page& page) {
  return db_.run("listing trigger subscriptions", [&](Session& s) {
    Statement st(s);
    SqlPage p(page);
    std::string sql =
        std::string(kColumns) + where_clause(st, filter) + " ORDER BY created_at, id LIMIT ? OFFSET ?";
    st << db_.sql(sql), use(p.limit), use(p.offset);
    return select_rows(st, read_subscription);
  });
}

std::int64_t SqlTriggerRepository::count(const TriggerFilter& filter) {
  return db_.run("counting trigger subscriptions", [&](Session& s) {
    Statement st(s);
    Poco::Int64 n = 0;
    st << db_.sql("SELECT COUNT(*) FROM trigger_subscriptions " + where_clause(st, filter)), into(n);
    st.execute();
    return static_cast<std::int64_t>(n);
  });
}

void SqlTriggerRepository::update(const TriggerSubscription& t) {
  db_.run("updating trigger subscription", [&](Session& s) {
    Poco::Nullable<std::string> secrets = to_nullable(t.sealed_secrets);
    Poco::Int64 interval = t.interval_seconds;
    Poco::Int64 failures = t.consecutive_failures;
    Statement st(s);
    st << db_.sql(
        "UPDATE trigger_subscriptions SET name = ?, interval_seconds = ?, config = ?, sealed_secrets = ?,"
        " status = ?, status_reason = ?, state = ?, next_run_at = ?, expires_at = ?, consecutive_failures = "
        "?,"
        " updated_at = ? WHERE id = ?"),
        useRef(t.name), use(interval), useRef(t.config_json), use(secrets), useRef(t.status),
        useRef(t.status_reason), useRef(t.state_json), useRef(t.next_run_at), useRef(t.expires_at),
        use(failures), useRef(t.updated_at), useRef(t.id);
    if (st.execute() == 0) throw NotFoundError("trigger subscription " + t.id);
  });
}

bool SqlTriggerRepository::remove(const std::string& id) {
  return db_.run("removing trigger subscription", [&](Session& s) {
    Transaction tx(db_, s);
    s << db_.sql("DELETE FROM trigger_seen WHERE subscription_id = ?"), useRef(id), now;
    Statement st(s);
    st << db_.sql("DELETE FROM trigger_subscriptions WHERE id = ?"), useRef(id);
    const bool removed = st.execute() > 0;
    tx.commit();
    return removed;
  });
}

std::vector<TriggerSubscription> SqlTriggerRepository::claim_due(const std::string& at,
                                                                 const std::string& node,
                                                                 const std::string& lease_until,
                                                                 std::int64_t limit) {
  return db_.run("claiming due trigger subscriptions", [&](Session& s) {
    // SQLite's IMMEDIATE holds the write lock from the SELECT on, PostgreSQL locks the rows it
    // selects and skips those other nodes hold: two claimers never pick one row.
    Transaction tx(db_, s);
    Statement select(s);
    Poco::Int64 n = limit;
    select << db_.sql(std::string(kColumns) +
                      "WHERE status = 'active' AND next_run_at <> '' AND next_run_at <= ? AND lease_until < ?"
                      " ORDER BY next_run_at LIMIT ?" +
                      db_.skip_locked()),
        useRef(at), useRef(at), use(n);
    auto due = select_rows(select, read_subscription);
    for (auto& t : due) {
      s << db_.sql("UPDATE trigger_subscriptions SET leased_by = ?, lease_until = ? WHERE id = ?"),
          useRef(node), useRef(lease_until), useRef(t.id), now;
      t.leased_by = node;
      t.lease_until = lease_until;
    }
    tx.commit();
    return due;
  });
}

std::vector<std::string> SqlTriggerRepository::unseen(const std::string& id,
                                                      const std::vector<std::string>& ids) {
  if (ids.empty()) return {};
  return db_.run("reading seen trigger items", [&](Session& s) {
    std::vector<std::string> out;
    for (const auto& external : ids) {
      Poco::Int64 n = 0;
      s << db_.sql("SELECT COUNT(*) FROM trigger_seen WHERE subscription_id = ? AND external_id = ?"),
          useRef(id), useRef(external), into(n), now;
      if (n == 0 && std::find(out.begin(), out.end(), external) == out.end()) out.push_back(external);
    }
    return out;
  });
}

bool SqlTriggerRepository::finish(const std::string& id, const std::string& node,
                                  const TriggerRunOutcome& o) {
  return db_.run("finishing trigger run", [&](Session& s) {
    Transaction tx(db_, s);
    Poco::Int64 failures = o.consecutive_failures;
    Statement update(s);
    std::string sql = "UPDATE trigger_subscriptions SET last_run_at = ?";
    update.addBind(useRef(o.last_run_at));
    if (!node.empty()) {
      sql += ", next_run_at = ?, expires_at = ?, consecutive_failures = ?, status = ?, status_reason = ?";
      update.addBind(useRef(o.next_run_at));
      update.addBind(useRef(o.expires_at));
      update.addBind(use(failures));
      update.addBind(useRef(o.status));
      update.addBind(useRef(o.status_reason));
    }
    if (o.state_json) {
      sql += ", state = ?";
      update.addBind(useRef(*o.state_json));
    }
    sql += " WHERE id = ?";
    update.addBind(useRef(id));
    if (!node.empty()) {
      sql.insert(sql.find(" WHERE"), ", leased_by = '', lease_until = ''");
      sql += " AND leased_by = ?";
      update.addBind(useRef(node));
    }
    update << db_.sql(sql);
    if (update.execute() == 0) return false;  // the lease ran out and another node took over
    for (const auto& external : o.seen_ids)
      s << db_.sql(
          "INSERT INTO trigger_seen (subscription_id, external_id, seen_at) VALUES (?, ?, ?)"
          " ON CONFLICT DO NOTHING"),
          useRef(id), useRef(external), useRef(o.last_run_at), now;
    if (!o.seen_cutoff.empty())
      s << db_.sql("DELETE FROM trigger_seen WHERE subscription_id = ? AND seen_at < ?"), useRef(id),
          useRef(o.seen_cutoff), now;
    tx.commit();
    return true;
  });
}

}  // namespace plugboard::store

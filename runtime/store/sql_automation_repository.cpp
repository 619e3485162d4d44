#include "store/sql_automation_repository.hpp"

#include "store/sql_rows.hpp"

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Session;
using Poco::Data::Statement;

namespace {

constexpr const char* kColumns =
    "SELECT id, workspace_id, project_id, name, description, event_type, conditions, connection_id, user_id,"
    " action, parameters, mappings, active, last_run_at, last_status, last_error, created_at, updated_at "
    "FROM automations ";

constexpr const char* kRunColumns =
    "SELECT id, automation_id, event_id, workspace_id, status, attempts, next_attempt_at, execution_id, "
    "error_code,"
    " error_message, leased_by, lease_until, created_at, finished_at FROM automation_runs ";

Automation read_automation(const RecordSet& rs, std::size_t row) {
  Automation a;
  a.id = text(rs, "id", row);
  a.workspace_id = text(rs, "workspace_id", row);
  a.project_id = text(rs, "project_id", row);
  a.name = text(rs, "name", row);
  a.description = text(rs, "description", row);
  a.event_type = text(rs, "event_type", row);
  a.conditions_json = text(rs, "conditions", row);
  a.connection_id = text(rs, "connection_id", row);
  a.user_id = text(rs, "user_id", row);
  a.action = text(rs, "action", row);
  a.parameters_json = text(rs, "parameters", row);
  a.mappings_json = text(rs, "mappings", row);
  a.active = integer(rs, "active", row) != 0;
  a.last_run_at = text(rs, "last_run_at", row);
  a.last_status = text(rs, "last_status", row);
  a.last_error = text(rs, "last_error", row);
  a.created_at = text(rs, "created_at", row);
  a.updated_at = text(rs, "updated_at", row);
  return a;
}

AutomationRun read_run(const RecordSet& rs, std::size_t row) {
  AutomationRun r;
  r.id = text(rs, "id", row);
  r.automation_id = text(rs, "automation_id", row);
  r.event_id = text(rs, "event_id", row);
  r.workspace_id = text(rs, "workspace_id", row);
  r.status = text(rs, "status", row);
  r.attempts = integer(rs, "attempts", row);
  r.next_attempt_at = text(rs, "next_attempt_at", row);
  r.execution_id = text(rs, "execution_id", row);
  r.error_code = text(rs, "error_code", row);
  r.error_message = text(rs, "error_message", row);
  r.leased_by = text(rs, "leased_by", row);
  r.lease_until = text(rs, "lease_until", row);
  r.created_at = text(rs, "created_at", row);
  r.finished_at = text(rs, "finished_at", row);
  return r;
}

std::string where_workspace(Statement& st, const std::string& workspace_id,
                            const std::vector<std::string>& projects) {
  std::string sql = "WHERE workspace_id = ?";
  st.addBind(useRef(workspace_id));
  if (!projects.empty()) {
    sql += " AND project_id IN (?";
    for (std::size_t i = 1; i < projects.size(); ++i) sql += ", ?";
    sql += ")";
    for (const auto& p : projects) st.addBind(useRef(p));
  }
  return sql;
}

}  // namespace

void SqlAutomationRepository::create(const Automation& a) {
  db_.run("creating automation", [&](Session& s) {
    Poco::Int64 active = a.active ? 1 : 0;
    s << db_.sql(
        "INSERT INTO automations (id, workspace_id, project_id, name, description, event_type, conditions,"
        " connection_id, user_id, action, parameters, mappings, active, last_run_at, last_status, "
        "last_error,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        useRef(a.id), useRef(a.workspace_id), useRef(a.project_id), useRef(a.name), useRef(a.description),
        useRef(a.event_type), useRef(a.conditions_json), useRef(a.connection_id), useRef(a.user_id),
        useRef(a.action), useRef(a.parameters_json), useRef(a.mappings_json), use(active),
        useRef(a.last_run_at), useRef(a.last_status), useRef(a.last_error), useRef(a.created_at),
        useRef(a.updated_at), now;
  });
}

std::optional<Automation> SqlAutomationRepository::get(const std::string& id) {
  return db_.run("reading automation", [&](Session& s) {
    Statement st(s);
    st << db_.sql(std::string(kColumns) + "WHERE id = ?"), useRef(id);
    return select_one(st, read_automation);
  });
}

std::vector<Automation> SqlAutomationRepository::list(const std::string& workspace_id,
                                                      const std::vector<std::string>& project_ids,
                                                      const Page& page) {
  return db_.run("listing automations", [&](Session& s) {
    Statement st(s);
    SqlPage p(page);
    st << db_.sql(std::string(kColumns) + where_workspace(st, workspace_id, project_ids) +
                  " ORDER BY created_at, id LIMIT ? OFFSET ?"),
        use(p.limit), use(p.offset);
    return select_rows(st, read_automation);
  });
}

std::int64_t SqlAutomationRepository::count(const std::string& workspace_id,
                                            const std::vector<std::string>& project_ids) {
  return db_.run("counting automations", [&](Session& s) {
    Statement st(s);
    Poco::Int64 n = 0;
    st << db_.sql("SELECT COUNT(*) FROM automations " + where_workspace(st, workspace_id, project_ids)),
        into(n);
    st.execute();
    return static_cast<std::int64_t>(n);
  });
}

void SqlAutomationRepository::update(const Automation& a) {
  db_.run("updating automation", [&](Session& s) {
    Poco::Int64 active = a.active ? 1 : 0;
    Statement st(s);
    st << db_.sql(
        "UPDATE automations SET name = ?, description = ?, event_type = ?, conditions = ?, connection_id = "
        "?,"
        " user_id = ?, project_id = ?, action = ?, parameters = ?, mappings = ?, active = ?, updated_at = "
        "? WHERE id = ?"),
        useRef(a.name), useRef(a.description), useRef(a.event_type), useRef(a.conditions_json),
        useRef(a.connection_id), useRef(a.user_id), useRef(a.project_id), useRef(a.action),
        useRef(a.parameters_json), useRef(a.mappings_json), use(active), useRef(a.updated_at), useRef(a.id);
    if (st.execute() == 0) throw NotFoundError("automation " + a.id);
  });
}

bool SqlAutomationRepository::remove(const std::string& id) {
  return db_.run("removing automation", [&](Session& s) {
    Transaction tx(db_, s);
    s << db_.sql("DELETE FROM automation_runs WHERE automation_id = ?"), useRef(id), now;
    Statement st(s);
    st << db_.sql("DELETE FROM automations WHERE id = ?"), useRef(id);
    const bool removed = st.execute() > 0;
    tx.commit();
    return removed;
  });
}

std::vector<Automation> SqlAutomationRepository::listening(const std::string& workspace_id,
                                                           const std::string& event_type) {
  return db_.run("finding automations for an event", [&](Session& s) {
    Statement st(s);
    st << db_.sql(std::string(kColumns) +
                  "WHERE workspace_id = ? AND event_type = ? AND active = 1 ORDER BY created_at, id"),
        useRef(workspace_id), useRef(event_type);
    return select_rows(st, read_automation);
  });
}

void SqlAutomationRepository::record_outcome(const std::string& id, const std::string& at,
                                             const std::string& status, const std::string& error) {
  db_.run("recording automation outcome", [&](Session& s) {
    s << db_.sql("UPDATE automations SET last_run_at = ?, last_status = ?, last_error = ? WHERE id = ?"),
        useRef(at), useRef(status), useRef(error), useRef(id), now;
  });
}

bool SqlAutomationRepository::enqueue(const AutomationRun& r) {
  return db_.run("queueing automation run", [&](Session& s) {
    Poco::Int64 attempts = r.attempts;
    Statement st(s);
    st << db_.sql(
        "INSERT INTO automation_runs (id, automation_id, event_id, workspace_id, status, "
        "attempts,"
        " next_attempt_at, execution_id, error_code, error_message, leased_by, lease_until, created_at,"
        " finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"),
        useRef(r.id), useRef(r.automation_id), useRef(r.event_id), useRef(r.workspace_id), useRef(r.status),
        use(attempts), useRef(r.next_attempt_at), useRef(r.execution_id), useRef(r.error_code),
        useRef(r.error_message), useRef(r.leased_by), useRef(r.lease_until), useRef(r.created_at),
        useRef(r.finished_at);
    return st.execute() > 0;
  });
}

std::vector<AutomationRun> SqlAutomationRepository::claim_due(const std::string& at, const std::string& node,
                                                              const std::string& lease_until,
                                                              std::int64_t limit) {
  return db_.run("claiming automation runs", [&](Session& s) {
    Transaction tx(db_, s);  // with skip_locked(): no two claimers see the same free row
    Statement select(s);
    Poco::Int64 n = limit;
    select << db_.sql(std::string(kRunColumns) +
                      "WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ? AND lease_until < ?"
                      " ORDER BY next_attempt_at, created_at LIMIT ?" +
                      db_.skip_locked()),
        useRef(at), useRef(at), use(n);
    auto due = select_rows(select, read_run);
    for (auto& r : due) {
      s << db_.sql("UPDATE automation_runs SET leased_by = ?, lease_until = ? WHERE id = ?"), useRef(node),
          useRef(lease_until), useRef(r.id), now;
      r.leased_by = node;
      r.lease_until = lease_until;
    }
    tx.commit();
    return due;
  });
}

bool SqlAutomationRepository::finish(const AutomationRun& r, const std::string& node) {
  return db_.run("finishing automation run", [&](Session& s) {
    Poco::Int64 attempts = r.attempts;
    Statement st(s);
    st << db_.sql(
        "UPDATE automation_runs SET status = ?, attempts = ?, next_attempt_at = ?, execution_id = ?,"
        " error_code = ?, error_message = ?, finished_at = ?, leased_by = '', lease_until = ''"
        " WHERE id = ? AND leased_by = ?"),
        useRef(r.status), use(attempts), useRef(r.next_attempt_at), useRef(r.execution_id),
        useRef(r.error_code), useRef(r.error_message), useRef(r.finished_at), useRef(r.id), useRef(node);
    return st.execute() > 0;
  });
}

std::vector<AutomationRun> SqlAutomationRepository::runs(const std::string& automation_id,
                                                         std::int64_t limit) {
  return db_.run("listing automation runs", [&](Session& s) {
    Statement st(s);
    Poco::Int64 n = limit;
    st << db_.sql(std::string(kRunColumns) +
                  "WHERE automation_id = ? ORDER BY created_at DESC, id DESC LIMIT ?"),
        useRef(automation_id), use(n);
    return select_rows(st, read_run);
  });
}

}  // namespace plugboard::store

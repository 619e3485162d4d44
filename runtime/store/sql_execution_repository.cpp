#include "store/sql_execution_rows.hpp"
#include "store/sql_repositories.hpp"
#include "store/sql_rows.hpp"

#include <algorithm>

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Session;
using Poco::Data::Statement;

const char* const kExecutionColumns =
    "SELECT id, request_id, workspace_id, project_id, connection_id, provider, action, status, error_code,"
    " duration_ms, started_at, parameters, result, event_id FROM executions ";

Execution read_execution(const RecordSet& rs, std::size_t row) {
  Execution e;
  e.id = text(rs, "id", row);
  e.request_id = text(rs, "request_id", row);
  e.workspace_id = text(rs, "workspace_id", row);
  e.project_id = text(rs, "project_id", row);
  e.connection_id = text(rs, "connection_id", row);
  e.provider = text(rs, "provider", row);
  e.action = text(rs, "action", row);
  e.status = text(rs, "status", row);
  e.error_code = text(rs, "error_code", row);
  e.duration_ms = integer(rs, "duration_ms", row);
  e.started_at = text(rs, "started_at", row);
  e.parameters_json = text(rs, "parameters", row);
  e.result_json = text(rs, "result", row);
  e.event_id = text(rs, "event_id", row);
  return e;
}

namespace {

constexpr const char* kInsertExecution =
    "INSERT INTO executions (id, request_id, workspace_id, project_id, connection_id, provider, action,"
    " status, error_code, duration_ms, started_at, parameters, result, event_id) VALUES ";
constexpr const char* kExecutionValues = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

// PostgreSQL: multi-row INSERTs, so a batch costs a round trip per chunk, not per row.
void insert_multirow(const Db& db, Session& s, const std::vector<Execution>& batch) {
  constexpr std::size_t kRowsPerStatement = 200;  // 2,800 parameters, far below the 65,535 limit
  std::vector<Poco::Int64> durations;
  durations.reserve(batch.size());  // bound by reference: must not move
  for (const Execution& e : batch) durations.push_back(e.duration_ms);
  for (std::size_t first = 0; first < batch.size(); first += kRowsPerStatement) {
    const std::size_t last = std::min(batch.size(), first + kRowsPerStatement);
    Statement st(s);
    std::string sql = kInsertExecution;
    for (std::size_t i = first; i < last; ++i) {
      const Execution& e = batch[i];
      sql += i == first ? kExecutionValues : std::string(", ") + kExecutionValues;
      for (const std::string* v : {&e.id, &e.request_id, &e.workspace_id, &e.project_id, &e.connection_id,
                                   &e.provider, &e.action, &e.status, &e.error_code})
        st.addBind(useRef(*v));
      st.addBind(useRef(durations[i]));
      for (const std::string* v : {&e.started_at, &e.parameters_json, &e.result_json, &e.event_id})
        st.addBind(useRef(*v));
    }
    st << db.sql(sql);
    st.execute();
  }
}

}  // namespace

void SqlExecutionRepository::insert_batch(const std::vector<Execution>& batch) {
  if (batch.empty()) return;
  db_.run("writing execution log", [&](Session& s) {
    Transaction tx(db_, s);
    if (db_.dialect() == Dialect::sqlite) {
      insert_executions_sqlite(s, batch);
    } else {
      insert_multirow(db_, s, batch);
    }
    tx.commit();
  });
}

std::optional<Execution> SqlExecutionRepository::get(const std::string& id) {
  return db_.run("reading execution", [&](Session& s) {
    Statement st(s);
    st << db_.sql(std::string(kExecutionColumns) + "WHERE id = ?"), useRef(id);
    return select_one(st, read_execution);
  });
}

std::vector<Execution> SqlExecutionRepository::list_recent(const std::string& workspace_id,
                                                           std::int64_t limit) {
  return db_.run("listing executions", [&](Session& s) {
    Poco::Int64 n = limit < 0 ? 0 : limit;
    Statement st(s);
    st << db_.sql(std::string(kExecutionColumns) +
                  "WHERE workspace_id = ? ORDER BY started_at DESC, id DESC LIMIT ?"),
        useRef(workspace_id), use(n);
    return select_rows(st, read_execution);
  });
}

ExecutionRepository::Usage SqlExecutionRepository::connection_usage(const std::string& connection_id,
                                                                    const std::string& since) {
  return db_.run("summarising connection usage", [&](Session& s) {
    Poco::Int64 total = 0, errors = 0, duration = 0;
    Poco::Nullable<std::string> last;
    s << db_.sql(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END), 0),"
        " COALESCE(SUM(duration_ms), 0), MAX(started_at) FROM executions"
        " WHERE workspace_id = (SELECT workspace_id FROM connections WHERE id = ?) AND started_at >= ?"
        " AND connection_id = ?"),
        useRef(connection_id), useRef(since), useRef(connection_id), into(total), into(errors),
        into(duration), into(last), now;
    Usage u;
    u.total = total;
    u.errors = errors;
    u.total_duration_ms = duration;
    if (!last.isNull()) u.last_at = last.value();
    return u;
  });
}

}  // namespace plugboard::store

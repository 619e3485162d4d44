#include "store/sqlite_execution_rows.hpp"
#include "store/sqlite_repositories.hpp"
#include "store/sqlite_rows.hpp"

#include <Poco/Data/SQLite/Utility.h>
#include <sqlite3.h>

#include <memory>

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

void SqliteExecutionRepository::insert_batch(const std::vector<Execution>& batch) {
  if (batch.empty()) return;
  // Execution records are the one write on every execute, so they bypass Poco::Data's
  // binders (which copy every value and re-prepare per row) and use SQLite's own prepared
  // statement: prepared once per batch, values bound in place, stepped and reset per row.
  db_.run("writing execution log", [&](Session& s) {
    SqliteTransaction tx(s);
    sqlite3* db = Poco::Data::SQLite::Utility::dbHandle(s);
    sqlite3_stmt* raw = nullptr;
    static constexpr const char* kInsert =
        "INSERT INTO executions (id, request_id, workspace_id, project_id, connection_id, provider, action,"
        " status, error_code, duration_ms, started_at, parameters, result, event_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    if (sqlite3_prepare_v2(db, kInsert, -1, &raw, nullptr) != SQLITE_OK)
      throw StoreError(std::string("preparing insert: ") + sqlite3_errmsg(db));
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> st(raw, &sqlite3_finalize);
    auto text = [&](int i, const std::string& v) {
      sqlite3_bind_text(st.get(), i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    };
    for (const Execution& e : batch) {
      text(1, e.id);
      text(2, e.request_id);
      text(3, e.workspace_id);
      text(4, e.project_id);
      text(5, e.connection_id);
      text(6, e.provider);
      text(7, e.action);
      text(8, e.status);
      text(9, e.error_code);
      sqlite3_bind_int64(st.get(), 10, e.duration_ms);
      text(11, e.started_at);
      text(12, e.parameters_json);
      text(13, e.result_json);
      text(14, e.event_id);
      const int rc = sqlite3_step(st.get());
      if (rc != SQLITE_DONE) {
        const std::string msg = sqlite3_errmsg(db);
        if (rc == SQLITE_CONSTRAINT) throw ConflictError("writing execution log: " + msg);
        throw StoreError("writing execution log: " + msg);
      }
      sqlite3_reset(st.get());
    }
    st.reset();
    tx.commit();
  });
}

std::optional<Execution> SqliteExecutionRepository::get(const std::string& id) {
  return db_.run("reading execution", [&](Session& s) {
    Statement st(s);
    st << std::string(kExecutionColumns) + "WHERE id = ?", useRef(id);
    return select_one(st, read_execution);
  });
}

std::vector<Execution> SqliteExecutionRepository::list_recent(const std::string& workspace_id,
                                                              std::int64_t limit) {
  return db_.run("listing executions", [&](Session& s) {
    Poco::Int64 n = limit < 0 ? 0 : limit;
    Statement st(s);
    st << std::string(kExecutionColumns) + "WHERE workspace_id = ? ORDER BY started_at DESC, id DESC LIMIT ?",
        useRef(workspace_id), use(n);
    return select_rows(st, read_execution);
  });
}

ExecutionRepository::Usage SqliteExecutionRepository::connection_usage(const std::string& connection_id,
                                                                       const std::string& since) {
  return db_.run("summarising connection usage", [&](Session& s) {
    Poco::Int64 total = 0, errors = 0, duration = 0;
    Poco::Nullable<std::string> last;
    s << "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END), 0),"
         " COALESCE(SUM(duration_ms), 0), MAX(started_at) FROM executions"
         " WHERE workspace_id = (SELECT workspace_id FROM connections WHERE id = ?) AND started_at >= ?"
         " AND connection_id = ?",
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

// The execution log's batch insert on SQLite, the one write on every execute.
#include "store/repositories.hpp"
#include "store/sql_execution_rows.hpp"

#include <Poco/Data/SQLite/Utility.h>
#include <sqlite3.h>

#include <memory>

namespace plugboard::store {

void insert_executions_sqlite(Poco::Data::Session& s, const std::vector<Execution>& batch) {
  // Bypasses Poco::Data's binders (which copy every value and re-prepare per row) for
  // SQLite's own prepared statement: prepared once per batch, values bound in place, stepped
  // and reset per row.
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
}

}  // namespace plugboard::store

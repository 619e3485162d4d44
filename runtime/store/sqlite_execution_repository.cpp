#include "store/sqlite_repositories.hpp"
#include "store/sqlite_rows.hpp"

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Session;
using Poco::Data::Statement;

namespace {

constexpr const char* kColumns =
    "SELECT id, request_id, workspace_id, project_id, connection_id, provider, action, status, error_code,"
    " duration_ms, started_at, parameters, result FROM executions ";

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
  return e;
}

}  // namespace

void SqliteExecutionRepository::insert_batch(const std::vector<Execution>& batch) {
  if (batch.empty()) return;
  // Column vectors: Poco binds them as one bulk statement, prepared once for the whole batch.
  // (Re-executing a statement bound to scalars re-prepares it on every row.)
  const std::size_t n = batch.size();
  std::vector<std::string> id, request_id, workspace_id, project_id, connection_id, provider, action, status,
      error_code, started_at, parameters, result;
  std::vector<Poco::Int64> duration;
  for (auto* v : {&id, &request_id, &workspace_id, &project_id, &connection_id, &provider, &action, &status,
                  &error_code, &started_at, &parameters, &result})
    v->reserve(n);
  duration.reserve(n);
  for (const Execution& e : batch) {
    id.push_back(e.id);
    request_id.push_back(e.request_id);
    workspace_id.push_back(e.workspace_id);
    project_id.push_back(e.project_id);
    connection_id.push_back(e.connection_id);
    provider.push_back(e.provider);
    action.push_back(e.action);
    status.push_back(e.status);
    error_code.push_back(e.error_code);
    duration.push_back(e.duration_ms);
    started_at.push_back(e.started_at);
    parameters.push_back(e.parameters_json);
    result.push_back(e.result_json);
  }
  db_.run("writing execution log", [&](Session& s) {
    SqliteTransaction tx(s);
    s << "INSERT INTO executions (id, request_id, workspace_id, project_id, connection_id, provider, action,"
         " status, error_code, duration_ms, started_at, parameters, result)"
         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        use(id), use(request_id), use(workspace_id), use(project_id), use(connection_id), use(provider),
        use(action), use(status), use(error_code), use(duration), use(started_at), use(parameters), use(result),
        now;
    tx.commit();
  });
}

std::optional<Execution> SqliteExecutionRepository::get(const std::string& id) {
  return db_.run("reading execution", [&](Session& s) {
    Statement st(s);
    st << std::string(kColumns) + "WHERE id = ?", useRef(id);
    return select_one(st, read_execution);
  });
}

std::vector<Execution> SqliteExecutionRepository::list_recent(const std::string& workspace_id,
                                                              std::int64_t limit) {
  return db_.run("listing executions", [&](Session& s) {
    Poco::Int64 n = limit < 0 ? 0 : limit;
    Statement st(s);
    st << std::string(kColumns) + "WHERE workspace_id = ? ORDER BY started_at DESC, id DESC LIMIT ?",
        useRef(workspace_id), use(n);
    return select_rows(st, read_execution);
  });
}

}  // namespace plugboard::store

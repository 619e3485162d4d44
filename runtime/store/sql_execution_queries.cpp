// Reading the execution log (filters, cursor pages, per-provider usage) and pruning it by age.
// Every query goes through the one index the log has, (workspace_id, started_at): each index
// on executions costs every execute's record, so none is added for these.
#include "store/sql_execution_rows.hpp"
#include "store/sql_repositories.hpp"
#include "store/sql_rows.hpp"

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::Session;
using Poco::Data::Statement;

std::vector<Execution> SqlExecutionRepository::list(const ExecutionFilter& f,
                                                    const std::optional<ExecutionPosition>& after,
                                                    std::int64_t limit) {
  return db_.run("listing executions", [&](Session& s) {
    Statement st(s);
    std::string sql = std::string(kExecutionColumns) + "WHERE workspace_id = ?";
    st.addBind(useRef(f.workspace_id));
    // Each optional filter binds straight from the filter, which outlives the statement.
    for (const auto& [column, value] :
         {std::pair{"action", &f.action}, std::pair{"status", &f.status},
          std::pair{"connection_id", &f.connection_id}, std::pair{"provider", &f.provider},
          std::pair{"event_id", &f.event_id}}) {
      if (!*value) continue;
      sql += std::string(" AND ") + column + " = ?";
      st.addBind(useRef(**value));
    }
    if (f.integration_id) {
      sql += " AND connection_id IN (SELECT id FROM connections WHERE integration_id = ?)";
      st.addBind(useRef(*f.integration_id));
    }
    if (!f.project_ids.empty()) {
      sql += " AND project_id IN (";
      for (std::size_t i = 0; i < f.project_ids.size(); ++i) {
        sql += i == 0 ? "?" : ", ?";
        st.addBind(useRef(f.project_ids[i]));
      }
      sql += ")";
    }
    if (f.since) {
      sql += " AND started_at >= ?";
      st.addBind(useRef(*f.since));
    }
    if (f.until) {
      sql += " AND started_at <= ?";
      st.addBind(useRef(*f.until));
    }
    if (after) {
      sql += " AND (started_at < ? OR (started_at = ? AND id < ?))";
      st.addBind(useRef(after->started_at));
      st.addBind(useRef(after->started_at));
      st.addBind(useRef(after->id));
    }
    Poco::Int64 n = limit < 0 ? 0 : limit;
    sql += " ORDER BY started_at DESC, id DESC LIMIT ?";
    st.addBind(useRef(n));
    st << db_.sql(sql);
    return select_rows(st, read_execution);
  });
}

std::vector<ProviderUsage> SqlExecutionRepository::usage_by_provider(const std::string& workspace_id,
                                                                     const std::string& since,
                                                                     const std::string& until) {
  return db_.run("summarising executions by provider", [&](Session& s) {
    Statement st(s);
    st << db_.sql(
        "SELECT provider, COUNT(*) AS total,"
        " COALESCE(SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END), 0) AS errors,"
        " COALESCE(SUM(duration_ms), 0) AS duration,"
        " COALESCE(SUM(" +
        db_.byte_length("parameters") + " + " + db_.byte_length("result") +
        "), 0) AS bytes,"
        " MAX(started_at) AS last_at"
        " FROM executions WHERE workspace_id = ? AND started_at >= ? AND started_at <= ?"
        " GROUP BY provider ORDER BY provider"),
        useRef(workspace_id), useRef(since), useRef(until);
    return select_rows(st, [](const Poco::Data::RecordSet& rs, std::size_t row) {
      ProviderUsage u;
      u.provider = text(rs, "provider", row);
      u.total = integer(rs, "total", row);
      u.errors = integer(rs, "errors", row);
      u.total_duration_ms = integer(rs, "duration", row);
      u.payload_bytes = integer(rs, "bytes", row);
      u.last_at = text(rs, "last_at", row);
      return u;
    });
  });
}

std::int64_t SqlExecutionRepository::prune_before(const std::string& before, std::int64_t limit) {
  return db_.run("pruning executions", [&](Session& s) {
    // Workspace by workspace, so the (workspace_id, started_at) index finds the old records
    // instead of a scan of the whole log.
    Poco::Int64 n = limit < 0 ? 0 : limit;
    Statement st(s);
    st << db_.sql(
        "DELETE FROM executions WHERE id IN (SELECT e.id FROM workspaces w"
        " JOIN executions e ON e.workspace_id = w.id AND e.started_at < ? LIMIT ?)"),
        useRef(before), use(n);
    return static_cast<std::int64_t>(st.execute());
  });
}

}  // namespace plugboard::store

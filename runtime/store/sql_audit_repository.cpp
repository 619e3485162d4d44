#include "store/sql_audit_repository.hpp"

#include "store/sql_rows.hpp"

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Session;
using Poco::Data::Statement;

namespace {

constexpr const char* kColumns =
    "SELECT seq, id, workspace_id, actor_key_id, actor_label, action, resource_type, resource_id,"
    " integration_id, changes, request_id, created_at FROM audit_log ";

AuditEntry read_entry(const RecordSet& rs, std::size_t row) {
  AuditEntry e;
  e.seq = integer(rs, "seq", row);
  e.id = text(rs, "id", row);
  e.workspace_id = text(rs, "workspace_id", row);
  e.actor_key_id = text(rs, "actor_key_id", row);
  e.actor_label = text(rs, "actor_label", row);
  e.action = text(rs, "action", row);
  e.resource_type = text(rs, "resource_type", row);
  e.resource_id = text(rs, "resource_id", row);
  e.integration_id = text(rs, "integration_id", row);
  e.changes_json = text(rs, "changes", row);
  e.request_id = text(rs, "request_id", row);
  e.created_at = text(rs, "created_at", row);
  return e;
}

}  // namespace

void SqlAuditRepository::append(const AuditEntry& e) {
  db_.run("writing audit entry", [&](Session& s) {
    s << db_.sql(
        "INSERT INTO audit_log (id, workspace_id, actor_key_id, actor_label, action, resource_type,"
        " resource_id, integration_id, changes, request_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        useRef(e.id), useRef(e.workspace_id), useRef(e.actor_key_id), useRef(e.actor_label), useRef(e.action),
        useRef(e.resource_type), useRef(e.resource_id), useRef(e.integration_id), useRef(e.changes_json),
        useRef(e.request_id), useRef(e.created_at), now;
  });
}

std::vector<AuditEntry> SqlAuditRepository::list(const AuditFilter& f,
                                                 const std::optional<AuditPosition>& after,
                                                 std::int64_t limit) {
  return db_.run("listing audit entries", [&](Session& s) {
    Statement st(s);
    std::string sql = std::string(kColumns) + "WHERE workspace_id = ?";
    st.addBind(useRef(f.workspace_id));
    // Each optional filter binds straight from the filter, which outlives the statement.
    for (const auto& [column, value] :
         {std::pair{"resource_type", &f.resource_type}, std::pair{"resource_id", &f.resource_id},
          std::pair{"integration_id", &f.integration_id}, std::pair{"action", &f.action}}) {
      if (!*value) continue;
      sql += std::string(" AND ") + column + " = ?";
      st.addBind(useRef(**value));
    }
    if (f.since) {
      sql += " AND created_at >= ?";
      st.addBind(useRef(*f.since));
    }
    if (f.until) {
      sql += " AND created_at <= ?";
      st.addBind(useRef(*f.until));
    }
    Poco::Int64 after_seq = after ? after->seq : 0;
    if (after) {
      sql += " AND (created_at < ? OR (created_at = ? AND seq < ?))";
      st.addBind(useRef(after->created_at));
      st.addBind(useRef(after->created_at));
      st.addBind(useRef(after_seq));
    }
    Poco::Int64 n = limit < 0 ? 0 : limit;
    sql += " ORDER BY created_at DESC, seq DESC LIMIT ?";
    st.addBind(useRef(n));
    st << db_.sql(sql);
    return select_rows(st, read_entry);
  });
}

}  // namespace plugboard::store

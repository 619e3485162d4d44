#include "store/sql_repositories.hpp"
#include "store/sql_rows.hpp"

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Session;
using Poco::Data::Statement;

namespace {

constexpr const char* kColumns =
    "SELECT id, workspace_id, project_id, provider, integration_id, name, auth_type, status, configuration,"
    " sealed_credentials, created_at, updated_at, status_reason, user_json FROM connections ";

Connection read_connection(const RecordSet& rs, std::size_t row) {
  Connection c;
  c.id = text(rs, "id", row);
  c.workspace_id = text(rs, "workspace_id", row);
  c.project_id = text(rs, "project_id", row);
  c.provider = text(rs, "provider", row);
  c.integration_id = text(rs, "integration_id", row);
  c.name = text(rs, "name", row);
  c.auth_type = text(rs, "auth_type", row);
  c.status = text(rs, "status", row);
  c.status_reason = text(rs, "status_reason", row);
  c.user_json = text(rs, "user_json", row);
  c.configuration_json = text(rs, "configuration", row);
  c.sealed_credentials = optional_text(rs, "sealed_credentials", row);
  c.created_at = text(rs, "created_at", row);
  c.updated_at = text(rs, "updated_at", row);
  return c;
}

// WHERE clause for a filter, binding straight from the filter (it outlives the statement).
std::string where_clause(Statement& st, const ConnectionFilter& f) {
  std::string sql = "WHERE workspace_id = ?";
  st.addBind(useRef(f.workspace_id));
  if (f.project_id) {
    sql += " AND project_id = ?";
    st.addBind(useRef(*f.project_id));
  }
  if (!f.project_ids.empty()) {
    sql += " AND project_id IN (?";
    for (std::size_t i = 1; i < f.project_ids.size(); ++i) sql += ", ?";
    sql += ")";
    for (const auto& id : f.project_ids) st.addBind(useRef(id));
  }
  if (f.integration_id) {
    sql += " AND (integration_id = ? OR provider = ?)";
    st.addBind(useRef(*f.integration_id));
    st.addBind(useRef(*f.integration_id));
  }
  if (f.status) {
    sql += " AND status = ?";
    st.addBind(useRef(*f.status));
  }
  return sql;
}

}  // namespace

void SqlConnectionRepository::create(const Connection& c) {
  db_.run("creating connection", [&](Session& s) {
    Poco::Nullable<std::string> sealed = to_nullable(c.sealed_credentials);
    s << db_.sql(
        "INSERT INTO connections (id, workspace_id, project_id, provider, integration_id, name, auth_type,"
        " status, configuration, sealed_credentials, created_at, updated_at, status_reason, user_json)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        useRef(c.id), useRef(c.workspace_id), useRef(c.project_id), useRef(c.provider),
        useRef(c.integration_id), useRef(c.name), useRef(c.auth_type), useRef(c.status),
        useRef(c.configuration_json), use(sealed), useRef(c.created_at), useRef(c.updated_at),
        useRef(c.status_reason), useRef(c.user_json), now;
  });
}

std::optional<Connection> SqlConnectionRepository::get(const std::string& id) {
  return db_.run("reading connection", [&](Session& s) {
    Statement st(s);
    st << db_.sql(std::string(kColumns) + "WHERE id = ?"), useRef(id);
    return select_one(st, read_connection);
  });
}

std::vector<Connection> SqlConnectionRepository::list(const ConnectionFilter& filter, const Page& page) {
  return db_.run("listing connections", [&](Session& s) {
    SqlPage p(page);
    Statement st(s);
    const std::string where = where_clause(st, filter);
    st << db_.sql(std::string(kColumns) + where + " ORDER BY created_at, id LIMIT ? OFFSET ?"), use(p.limit),
        use(p.offset);
    return select_rows(st, read_connection);
  });
}

std::int64_t SqlConnectionRepository::count(const ConnectionFilter& filter) {
  return db_.run("counting connections", [&](Session& s) {
    Poco::Int64 n = 0;
    Statement st(s);
    const std::string where = where_clause(st, filter);
    st << db_.sql("SELECT COUNT(*) FROM connections " + where), into(n);
    st.execute();
    return static_cast<std::int64_t>(n);
  });
}

void SqlConnectionRepository::update(const Connection& c) {
  db_.run("updating connection", [&](Session& s) {
    Poco::Nullable<std::string> sealed = to_nullable(c.sealed_credentials);
    Statement st(s);
    st << db_.sql(
        "UPDATE connections SET workspace_id = ?, project_id = ?, provider = ?, integration_id = ?, name = "
        "?,"
        " auth_type = ?, status = ?, configuration = ?, sealed_credentials = ?, updated_at = ?,"
        " status_reason = ?, user_json = ? WHERE id = ?"),
        useRef(c.workspace_id), useRef(c.project_id), useRef(c.provider), useRef(c.integration_id),
        useRef(c.name), useRef(c.auth_type), useRef(c.status), useRef(c.configuration_json), use(sealed),
        useRef(c.updated_at), useRef(c.status_reason), useRef(c.user_json), useRef(c.id);
    if (st.execute() == 0) throw NotFoundError("connection " + c.id + " does not exist");
  });
}

bool SqlConnectionRepository::remove(const std::string& id) {
  return db_.run("removing connection", [&](Session& s) {
    Statement st(s);
    st << db_.sql("DELETE FROM connections WHERE id = ?"), useRef(id);
    return st.execute() > 0;
  });
}

}  // namespace plugboard::store

#include "store/sql_repositories.hpp"
#include "store/sql_rows.hpp"

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Session;
using Poco::Data::Statement;

namespace {

constexpr const char* kColumns = "SELECT id, workspace_id, name, created_at FROM projects ";

Project read_project(const RecordSet& rs, std::size_t row) {
  return Project{text(rs, "id", row), text(rs, "workspace_id", row), text(rs, "name", row),
                 text(rs, "created_at", row)};
}

}  // namespace

void SqlProjectRepository::create(const Project& p) {
  db_.run("creating project", [&](Session& s) {
    s << db_.sql("INSERT INTO projects (id, workspace_id, name, created_at) VALUES (?, ?, ?, ?)"),
        useRef(p.id), useRef(p.workspace_id), useRef(p.name), useRef(p.created_at), now;
  });
}

std::optional<Project> SqlProjectRepository::get(const std::string& id) {
  return db_.run("reading project", [&](Session& s) {
    Statement st(s);
    st << db_.sql(std::string(kColumns) + "WHERE id = ?"), useRef(id);
    return select_one(st, read_project);
  });
}

std::optional<Project> SqlProjectRepository::find_by_name(const std::string& workspace_id,
                                                          const std::string& name) {
  return db_.run("finding project", [&](Session& s) {
    Statement st(s);
    st << db_.sql(std::string(kColumns) + "WHERE workspace_id = ? AND name = ?"), useRef(workspace_id),
        useRef(name);
    return select_one(st, read_project);
  });
}

std::vector<Project> SqlProjectRepository::list(const std::string& workspace_id, const Page& page) {
  return db_.run("listing projects", [&](Session& s) {
    SqlPage p(page);
    Statement st(s);
    st << db_.sql(std::string(kColumns) + "WHERE workspace_id = ? ORDER BY created_at, id LIMIT ? OFFSET ?"),
        useRef(workspace_id), use(p.limit), use(p.offset);
    return select_rows(st, read_project);
  });
}

bool SqlProjectRepository::remove(const std::string& id) {
  return db_.run("removing project", [&](Session& s) {
    Statement st(s);
    st << db_.sql("DELETE FROM projects WHERE id = ?"), useRef(id);
    return st.execute() > 0;
  });
}

std::int64_t SqlProjectRepository::count(const std::string& workspace_id) {
  return db_.run("counting projects", [&](Session& s) {
    Poco::Int64 n = 0;
    s << db_.sql("SELECT COUNT(*) FROM projects WHERE workspace_id = ?"), useRef(workspace_id), into(n), now;
    return static_cast<std::int64_t>(n);
  });
}

}  // namespace plugboard::store

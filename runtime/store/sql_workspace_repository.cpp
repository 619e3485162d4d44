#include "store/sql_repositories.hpp"
#include "store/sql_rows.hpp"

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Session;
using Poco::Data::Statement;

namespace {

constexpr const char* kColumns = "SELECT id, name, created_at FROM workspaces ";

Workspace read_workspace(const RecordSet& rs, std::size_t row) {
  return Workspace{text(rs, "id", row), text(rs, "name", row), text(rs, "created_at", row)};
}

}  // namespace

void SqlWorkspaceRepository::create(const Workspace& w) {
  db_.run("creating workspace", [&](Session& s) {
    s << db_.sql("INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?)"), useRef(w.id),
        useRef(w.name), useRef(w.created_at), now;
  });
}

std::optional<Workspace> SqlWorkspaceRepository::get(const std::string& id) {
  return db_.run("reading workspace", [&](Session& s) {
    Statement st(s);
    st << db_.sql(std::string(kColumns) + "WHERE id = ?"), useRef(id);
    return select_one(st, read_workspace);
  });
}

std::optional<Workspace> SqlWorkspaceRepository::find_by_name(const std::string& name) {
  return db_.run("finding workspace", [&](Session& s) {
    Statement st(s);
    st << db_.sql(std::string(kColumns) + "WHERE name = ?"), useRef(name);
    return select_one(st, read_workspace);
  });
}

std::vector<Workspace> SqlWorkspaceRepository::list(const Page& page) {
  return db_.run("listing workspaces", [&](Session& s) {
    SqlPage p(page);
    Statement st(s);
    st << db_.sql(std::string(kColumns) + "ORDER BY created_at, id LIMIT ? OFFSET ?"), use(p.limit),
        use(p.offset);
    return select_rows(st, read_workspace);
  });
}

}  // namespace plugboard::store

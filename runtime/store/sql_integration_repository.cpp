#include "store/sql_repositories.hpp"
#include "store/sql_rows.hpp"

#include <algorithm>

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Session;
using Poco::Data::Statement;

namespace {

// Every column but id and workspace_id, in the order insert and update bind them.
constexpr const char* kFields =
    "name, slug, type, category, description, mode, auth_type, scope, auth_uri, token_uri, revocation_uri,"
    " api_base_uri, client_id, sealed_client_secret, basic_token_auth, sealed_api_key, api_key_location,"
    " api_key_name, image_url, sealed_headers, data, shares, sandbox, is_default, icon, icon_content_type,"
    " created_at, updated_at";
constexpr int kFieldCount = 28;
constexpr const char* kSets =
    "name = ?, slug = ?, type = ?, category = ?, description = ?, mode = ?, auth_type = ?, scope = ?,"
    " auth_uri = ?, token_uri = ?, revocation_uri = ?, api_base_uri = ?, client_id = ?,"
    " sealed_client_secret = ?, basic_token_auth = ?, sealed_api_key = ?, api_key_location = ?,"
    " api_key_name = ?, image_url = ?, sealed_headers = ?, data = ?, shares = ?, sandbox = ?, is_default = ?,"
    " icon = ?, icon_content_type = ?, created_at = ?, updated_at = ?";

Integration read_integration(const RecordSet& rs, std::size_t row) {
  Integration i;
  i.id = text(rs, "id", row);
  i.workspace_id = text(rs, "workspace_id", row);
  i.name = text(rs, "name", row);
  i.slug = text(rs, "slug", row);
  i.type = text(rs, "type", row);
  i.category = text(rs, "category", row);
  i.description = text(rs, "description", row);
  i.mode = text(rs, "mode", row);
  i.auth_type = text(rs, "auth_type", row);
  i.scope = text(rs, "scope", row);
  i.auth_uri = text(rs, "auth_uri", row);
  i.token_uri = text(rs, "token_uri", row);
  i.revocation_uri = text(rs, "revocation_uri", row);
  i.api_base_uri = text(rs, "api_base_uri", row);
  i.client_id = text(rs, "client_id", row);
  i.sealed_client_secret = optional_text(rs, "sealed_client_secret", row);
  i.basic_token_auth = integer(rs, "basic_token_auth", row) != 0;
  i.sealed_api_key = optional_text(rs, "sealed_api_key", row);
  i.api_key_location = text(rs, "api_key_location", row);
  i.api_key_name = text(rs, "api_key_name", row);
  i.image_url = text(rs, "image_url", row);
  i.sealed_headers = optional_text(rs, "sealed_headers", row);
  i.data_json = text(rs, "data", row);
  i.shares_json = text(rs, "shares", row);
  i.sandbox = integer(rs, "sandbox", row) != 0;
  i.is_default = integer(rs, "is_default", row) != 0;
  i.icon = optional_text(rs, "icon", row);
  i.icon_content_type = text(rs, "icon_content_type", row);
  i.created_at = text(rs, "created_at", row);
  i.updated_at = text(rs, "updated_at", row);
  return i;
}

// Values bound by reference must outlive the statement: nullable and boolean columns are
// converted once here and kept beside it.
struct Bound {
  explicit Bound(const Integration& i)
      : secret(to_nullable(i.sealed_client_secret)),
        api_key(to_nullable(i.sealed_api_key)),
        headers(to_nullable(i.sealed_headers)),
        icon(to_nullable(i.icon)),
        basic(i.basic_token_auth ? 1 : 0),
        sandbox(i.sandbox ? 1 : 0),
        is_default(i.is_default ? 1 : 0) {}
  void bind(Statement& st, const Integration& i) {
    st.addBind(useRef(i.name));
    st.addBind(useRef(i.slug));
    st.addBind(useRef(i.type));
    st.addBind(useRef(i.category));
    st.addBind(useRef(i.description));
    st.addBind(useRef(i.mode));
    st.addBind(useRef(i.auth_type));
    st.addBind(useRef(i.scope));
    st.addBind(useRef(i.auth_uri));
    st.addBind(useRef(i.token_uri));
    st.addBind(useRef(i.revocation_uri));
    st.addBind(useRef(i.api_base_uri));
    st.addBind(useRef(i.client_id));
    st.addBind(use(secret));
    st.addBind(use(basic));
    st.addBind(use(api_key));
    st.addBind(useRef(i.api_key_location));
    st.addBind(useRef(i.api_key_name));
    st.addBind(useRef(i.image_url));
    st.addBind(use(headers));
    st.addBind(useRef(i.data_json));
    st.addBind(useRef(i.shares_json));
    st.addBind(use(sandbox));
    st.addBind(use(is_default));
    st.addBind(use(icon));
    st.addBind(useRef(i.icon_content_type));
    st.addBind(useRef(i.created_at));
    st.addBind(useRef(i.updated_at));
  }
  Poco::Nullable<std::string> secret, api_key, headers, icon;
  Poco::Int64 basic, sandbox, is_default;
};

std::string select_all() {
  return std::string("SELECT id, workspace_id, ") + kFields + " FROM integrations ";
}

std::string where_clause(Statement& st, const IntegrationFilter& f, std::string& like, Poco::Int64& sandbox) {
  std::string sql = "WHERE workspace_id = ?";
  st.addBind(useRef(f.workspace_id));
  if (f.q) {
    std::string q = *f.q;
    std::transform(q.begin(), q.end(), q.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    // LIKE wildcards in the query are matched literally.
    like.assign(1, '%');
    for (char c : q) {
      if (c == '%' || c == '_' || c == '\\') like.push_back('\\');
      like.push_back(c);
    }
    like.push_back('%');
    sql += " AND (lower(name) LIKE ? ESCAPE '\\' OR lower(description) LIKE ? ESCAPE '\\')";
    st.addBind(useRef(like));
    st.addBind(useRef(like));
  }
  if (f.sandbox) {
    sandbox = *f.sandbox ? 1 : 0;
    sql += " AND sandbox = ?";
    st.addBind(use(sandbox));
  }
  if (f.type) {
    sql += " AND type = ?";
    st.addBind(useRef(*f.type));
  }
  return sql;
}

}  // namespace

void SqlIntegrationRepository::create(const Integration& i) {
  db_.run("creating integration", [&](Session& s) {
    std::string marks = "?, ?";
    for (int k = 0; k < kFieldCount; ++k) marks += ", ?";
    Statement st(s);
    st << db_.sql(std::string("INSERT INTO integrations (id, workspace_id, ") + kFields + ") VALUES (" +
                  marks + ")");
    st.addBind(useRef(i.id));
    st.addBind(useRef(i.workspace_id));
    Bound b(i);
    b.bind(st, i);
    st.execute();
  });
}

std::optional<Integration> SqlIntegrationRepository::get(const std::string& id) {
  return db_.run("reading integration", [&](Session& s) {
    Statement st(s);
    st << db_.sql(select_all() + "WHERE id = ?"), useRef(id);
    return select_one(st, read_integration);
  });
}

std::optional<Integration> SqlIntegrationRepository::find_by_slug(const std::string& workspace_id,
                                                                  const std::string& slug) {
  return db_.run("finding integration", [&](Session& s) {
    Statement st(s);
    st << db_.sql(select_all() + "WHERE workspace_id = ? AND slug = ?"), useRef(workspace_id), useRef(slug);
    return select_one(st, read_integration);
  });
}

std::vector<Integration> SqlIntegrationRepository::list(const IntegrationFilter& filter, const Page& page) {
  return db_.run("listing integrations", [&](Session& s) {
    SqlPage p(page);
    std::string like;
    Poco::Int64 sandbox = 0;
    Statement st(s);
    const std::string where = where_clause(st, filter, like, sandbox);
    st << db_.sql(select_all() + where + " ORDER BY is_default DESC, created_at, id LIMIT ? OFFSET ?"),
        use(p.limit), use(p.offset);
    return select_rows(st, read_integration);
  });
}

std::int64_t SqlIntegrationRepository::count(const IntegrationFilter& filter) {
  return db_.run("counting integrations", [&](Session& s) {
    Poco::Int64 n = 0;
    std::string like;
    Poco::Int64 sandbox = 0;
    Statement st(s);
    const std::string where = where_clause(st, filter, like, sandbox);
    st << db_.sql("SELECT COUNT(*) FROM integrations " + where), into(n);
    st.execute();
    return static_cast<std::int64_t>(n);
  });
}

void SqlIntegrationRepository::update(const Integration& i) {
  db_.run("updating integration", [&](Session& s) {
    Statement st(s);
    st << db_.sql(std::string("UPDATE integrations SET ") + kSets + " WHERE id = ?");
    Bound b(i);
    b.bind(st, i);
    st.addBind(useRef(i.id));
    if (st.execute() == 0) throw NotFoundError("integration " + i.id + " does not exist");
  });
}

bool SqlIntegrationRepository::remove_with_connections(const std::string& id) {
  return db_.run("removing integration", [&](Session& s) {
    Transaction tx(db_, s);
    s << db_.sql("DELETE FROM connections WHERE integration_id = ?"), useRef(id), now;
    Statement st(s);
    st << db_.sql("DELETE FROM integrations WHERE id = ?"), useRef(id);
    const bool removed = st.execute() > 0;
    tx.commit();
    return removed;
  });
}

std::vector<ErrorSummary> SqlIntegrationRepository::error_summary(const std::string& id) {
  return db_.run("summarising integration errors", [&](Session& s) {
    Statement st(s);
    st << db_.sql(
        "SELECT e.action AS action, e.error_code AS error_code, COUNT(*) AS n, MAX(e.started_at) AS last_at"
        " FROM executions e JOIN connections c ON c.id = e.connection_id"
        " WHERE c.integration_id = ? AND e.status = 'error'"
        " GROUP BY e.action, e.error_code ORDER BY n DESC, e.action"),
        useRef(id);
    return select_rows(st, [](const RecordSet& rs, std::size_t row) {
      return ErrorSummary{text(rs, "action", row), text(rs, "error_code", row), integer(rs, "n", row),
                          text(rs, "last_at", row)};
    });
  });
}

}  // namespace plugboard::store

#include "store/json_list.hpp"
#include "store/sql_repositories.hpp"
#include "store/sql_rows.hpp"

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Session;
using Poco::Data::Statement;

namespace {

constexpr const char* kColumns =
    "SELECT id, workspace_id, name, prefix, hash, operations, integrations, projects, expires_at,"
    " rate_limit_per_hour, rate_limit_burst, revoked, created_at, last_used FROM api_keys ";

ApiKey read_api_key(const RecordSet& rs, std::size_t row) {
  ApiKey k;
  k.id = text(rs, "id", row);
  k.workspace_id = text(rs, "workspace_id", row);
  k.name = text(rs, "name", row);
  k.prefix = text(rs, "prefix", row);
  k.hash = text(rs, "hash", row);
  k.operations = from_json_list(text(rs, "operations", row), "api_keys.operations");
  k.integrations = from_json_list(text(rs, "integrations", row), "api_keys.integrations");
  k.projects = from_json_list(text(rs, "projects", row), "api_keys.projects");
  k.expires_at = optional_text(rs, "expires_at", row);
  const auto per_hour = optional_integer(rs, "rate_limit_per_hour", row);
  if (per_hour) k.rate_limit = RateLimit{*per_hour, integer(rs, "rate_limit_burst", row)};
  k.revoked = integer(rs, "revoked", row) != 0;
  k.created_at = text(rs, "created_at", row);
  k.last_used = optional_text(rs, "last_used", row);
  return k;
}

}  // namespace

void SqlApiKeyRepository::create(const ApiKey& k) {
  db_.run("creating API key", [&](Session& s) {
    std::string operations = to_json_list(k.operations);
    std::string integrations = to_json_list(k.integrations);
    std::string projects = to_json_list(k.projects);
    Poco::Nullable<std::string> expires_at = to_nullable(k.expires_at);
    Poco::Nullable<Poco::Int64> per_hour;
    Poco::Nullable<Poco::Int64> burst;
    if (k.rate_limit) {
      per_hour = k.rate_limit->requests_per_hour;
      burst = k.rate_limit->burst_limit;
    }
    Poco::Int64 revoked = k.revoked ? 1 : 0;
    Poco::Nullable<std::string> last_used = to_nullable(k.last_used);
    s << db_.sql(
        "INSERT INTO api_keys (id, workspace_id, name, prefix, hash, operations, integrations, projects,"
        " expires_at, rate_limit_per_hour, rate_limit_burst, revoked, created_at, last_used)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        useRef(k.id), useRef(k.workspace_id), useRef(k.name), useRef(k.prefix), useRef(k.hash),
        use(operations), use(integrations), use(projects), use(expires_at), use(per_hour), use(burst),
        use(revoked), useRef(k.created_at), use(last_used), now;
  });
}

std::optional<ApiKey> SqlApiKeyRepository::get(const std::string& id) {
  return db_.run("reading API key", [&](Session& s) {
    Statement st(s);
    st << db_.sql(std::string(kColumns) + "WHERE id = ?"), useRef(id);
    return select_one(st, read_api_key);
  });
}

std::optional<ApiKey> SqlApiKeyRepository::find_by_hash(const std::string& hash) {
  return db_.run("finding API key", [&](Session& s) {
    Statement st(s);
    st << db_.sql(std::string(kColumns) + "WHERE hash = ?"), useRef(hash);
    return select_one(st, read_api_key);
  });
}

std::vector<ApiKey> SqlApiKeyRepository::list(const std::string& workspace_id, const Page& page) {
  return db_.run("listing API keys", [&](Session& s) {
    SqlPage p(page);
    Statement st(s);
    st << db_.sql(std::string(kColumns) + "WHERE workspace_id = ? ORDER BY created_at, id LIMIT ? OFFSET ?"),
        useRef(workspace_id), use(p.limit), use(p.offset);
    return select_rows(st, read_api_key);
  });
}

bool SqlApiKeyRepository::revoke(const std::string& id) {
  return db_.run("revoking API key", [&](Session& s) {
    Statement st(s);
    st << db_.sql("UPDATE api_keys SET revoked = 1 WHERE id = ?"), useRef(id);
    return st.execute() > 0;  // true when the key exists, revoked before or not
  });
}

void SqlApiKeyRepository::touch(const std::vector<std::pair<std::string, std::string>>& id_and_time) {
  if (id_and_time.empty()) return;
  db_.run("recording API key use", [&](Session& s) {
    Transaction tx(db_, s);
    {
      std::string id;
      std::string time;
      Statement st(s);
      // Batches may arrive out of order: never move last_used backwards.
      st << db_.sql(
          "UPDATE api_keys SET last_used = ? WHERE id = ? AND (last_used IS NULL OR last_used < ?)"),
          use(time), use(id), use(time);
      for (const auto& [key_id, used_at] : id_and_time) {
        id = key_id;
        time = used_at;
        st.execute();
      }
    }
    tx.commit();
  });
}

std::int64_t SqlApiKeyRepository::count(const std::string& workspace_id) {
  return db_.run("counting API keys", [&](Session& s) {
    Poco::Int64 n = 0;
    s << db_.sql("SELECT COUNT(*) FROM api_keys WHERE workspace_id = ?"), useRef(workspace_id), into(n), now;
    return static_cast<std::int64_t>(n);
  });
}

}  // namespace plugboard::store

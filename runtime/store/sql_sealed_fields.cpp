// Master key rotation support for the repositories that hold sealed columns: keyset
// pages of sealed values, and compare-and-swap replacement of a batch in one transaction.
#include "store/sql_event_repositories.hpp"
#include "store/sql_repositories.hpp"
#include "store/sql_rows.hpp"
#include "store/sql_trigger_repository.hpp"

#include <algorithm>
#include <span>
#include <string_view>

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Session;
using Poco::Data::Statement;

namespace {

using Columns = std::span<const std::string_view>;

constexpr std::string_view kConnectionColumns[] = {"sealed_credentials"};
constexpr std::string_view kIntegrationColumns[] = {"sealed_client_secret", "sealed_api_key",
                                                    "sealed_headers"};
constexpr std::string_view kWebhookColumns[] = {"sealed_secret", "sealed_headers"};
constexpr std::string_view kTriggerColumns[] = {"sealed_secrets"};

std::vector<SealedField> list_sealed_in(Db& db, std::string_view table, Columns columns,
                                        const std::string& after_id, std::int64_t limit) {
  return db.run("listing sealed values", [&](Session& s) {
    std::string sql = "SELECT id";
    std::string any;
    for (const auto c : columns) {
      sql += ", ";
      sql += c;
      any += any.empty() ? "" : " OR ";
      any += std::string(c) + " IS NOT NULL";
    }
    sql += " FROM " + std::string(table) + " WHERE id > ? AND (" + any + ") ORDER BY id LIMIT ?";
    Poco::Int64 n = std::max<std::int64_t>(limit, 0);
    Statement st(s);
    st << db.sql(sql), useRef(after_id), use(n);
    st.execute();
    const RecordSet rs(st);
    std::vector<SealedField> out;
    for (std::size_t row = 0; row < rs.rowCount(); ++row) {
      const std::string id = text(rs, "id", row);
      for (const auto c : columns) {
        if (auto v = optional_text(rs, std::string(c), row))
          out.push_back({id, std::string(c), std::move(*v)});
      }
    }
    return out;
  });
}

std::int64_t replace_sealed_in(Db& db, std::string_view table, Columns columns,
                               const std::vector<SealedFieldUpdate>& updates) {
  // Column names go into the SQL text, so only the table's sealed columns are accepted.
  for (const auto& u : updates) {
    if (std::find(columns.begin(), columns.end(), u.column) == columns.end())
      throw StoreError(std::string(table) + " has no sealed column " + u.column);
  }
  if (updates.empty()) return 0;
  return db.run("replacing sealed values", [&](Session& s) {
    Transaction tx(db, s);
    std::int64_t replaced = 0;
    for (const auto& u : updates) {
      Statement st(s);
      st << db.sql("UPDATE " + std::string(table) + " SET " + u.column + " = ? WHERE id = ? AND " + u.column +
                   " = ?"),
          useRef(u.value), useRef(u.id), useRef(u.expected);
      replaced += static_cast<std::int64_t>(st.execute());
    }
    tx.commit();
    return replaced;
  });
}

}  // namespace

std::vector<SealedField> SqlConnectionRepository::list_sealed(const std::string& after_id,
                                                              std::int64_t limit) {
  return list_sealed_in(db_, "connections", kConnectionColumns, after_id, limit);
}

std::int64_t SqlConnectionRepository::replace_sealed(const std::vector<SealedFieldUpdate>& updates) {
  return replace_sealed_in(db_, "connections", kConnectionColumns, updates);
}

std::vector<SealedField> SqlIntegrationRepository::list_sealed(const std::string& after_id,
                                                               std::int64_t limit) {
  return list_sealed_in(db_, "integrations", kIntegrationColumns, after_id, limit);
}

std::int64_t SqlIntegrationRepository::replace_sealed(const std::vector<SealedFieldUpdate>& updates) {
  return replace_sealed_in(db_, "integrations", kIntegrationColumns, updates);
}

std::vector<SealedField> SqlWebhookRepository::list_sealed(const std::string& after_id, std::int64_t limit) {
  return list_sealed_in(db_, "webhooks", kWebhookColumns, after_id, limit);
}

std::int64_t SqlWebhookRepository::replace_sealed(const std::vector<SealedFieldUpdate>& updates) {
  return replace_sealed_in(db_, "webhooks", kWebhookColumns, updates);
}

std::vector<SealedField> SqlTriggerRepository::list_sealed(const std::string& after_id, std::int64_t limit) {
  return list_sealed_in(db_, "trigger_subscriptions", kTriggerColumns, after_id, limit);
}

std::int64_t SqlTriggerRepository::replace_sealed(const std::vector<SealedFieldUpdate>& updates) {
  return replace_sealed_in(db_, "trigger_subscriptions", kTriggerColumns, updates);
}

}  // namespace plugboard::store

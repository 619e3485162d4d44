#include "store/sql_multinode_repositories.hpp"

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::Session;
using Poco::Data::Statement;

RateBucket SqlRateBucketRepository::update(
    const std::string& key, const std::function<RateBucket(const std::optional<RateBucket>&)>& step) {
  return db_.run("updating a rate-limit bucket", [&](Session& s) {
    // The read and the write must not interleave with another node's, or two nodes spend the
    // same token. SQLite's BEGIN IMMEDIATE holds the write lock throughout. On PostgreSQL the
    // key's row is locked with FOR UPDATE; a placeholder row (updated_ms -1: no bucket yet)
    // is inserted first so that even a key's first request has a row to lock.
    Transaction tx(db_, s);
    const bool postgres = db_.dialect() == Dialect::postgresql;
    if (postgres)
      s << db_.sql(
          "INSERT INTO rate_buckets (key_id, tokens, updated_ms) VALUES (?, 0, -1)"
          " ON CONFLICT (key_id) DO NOTHING"),
          useRef(key), now;
    std::optional<RateBucket> current;
    {
      Poco::Nullable<double> tokens;
      Poco::Nullable<Poco::Int64> updated;
      Statement st(s);
      st << db_.sql(std::string("SELECT tokens, updated_ms FROM rate_buckets WHERE key_id = ?") +
                    (postgres ? " FOR UPDATE" : "")),
          useRef(key), into(tokens), into(updated);
      if (st.execute() > 0 && !tokens.isNull() && !updated.isNull() && updated.value() >= 0)
        current = RateBucket{tokens.value(), static_cast<std::int64_t>(updated.value())};
    }
    RateBucket next = step(current);
    Poco::Int64 updated_ms = next.updated_ms;
    s << db_.sql(
        "INSERT INTO rate_buckets (key_id, tokens, updated_ms) VALUES (?, ?, ?)"
        " ON CONFLICT (key_id) DO UPDATE SET tokens = excluded.tokens, updated_ms = excluded.updated_ms"),
        useRef(key), use(next.tokens), use(updated_ms), now;
    tx.commit();
    return next;
  });
}

}  // namespace plugboard::store

#include "store/sqlite_multinode_repositories.hpp"

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::Session;
using Poco::Data::Statement;

RateBucket SqliteRateBucketRepository::update(
    const std::string& key, const std::function<RateBucket(const std::optional<RateBucket>&)>& step) {
  return db_.run("updating a rate-limit bucket", [&](Session& s) {
    // BEGIN IMMEDIATE holds the write lock from the read to the write, so two nodes never
    // spend the same token (PostgreSQL: INSERT ... ON CONFLICT DO NOTHING, then SELECT ...
    // FOR UPDATE in the same transaction).
    SqliteTransaction tx(s);
    std::optional<RateBucket> current;
    {
      Poco::Nullable<double> tokens;
      Poco::Nullable<Poco::Int64> updated;
      Statement st(s);
      st << "SELECT tokens, updated_ms FROM rate_buckets WHERE key_id = ?", useRef(key), into(tokens),
          into(updated);
      if (st.execute() > 0 && !tokens.isNull())
        current = RateBucket{tokens.value(), static_cast<std::int64_t>(updated.value())};
    }
    RateBucket next = step(current);
    Poco::Int64 updated_ms = next.updated_ms;
    s << "INSERT INTO rate_buckets (key_id, tokens, updated_ms) VALUES (?, ?, ?)"
         " ON CONFLICT (key_id) DO UPDATE SET tokens = excluded.tokens, updated_ms = excluded.updated_ms",
        useRef(key), use(next.tokens), use(updated_ms), now;
    tx.commit();
    return next;
  });
}

}  // namespace plugboard::store

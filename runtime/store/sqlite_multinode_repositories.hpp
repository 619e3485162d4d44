// SQLite implementations of the repositories that let several nodes share one database: the
// change feed (cache invalidation between nodes) and the shared rate-limit buckets.
#pragma once

#include "store/repositories.hpp"
#include "store/sqlite_db.hpp"

namespace plugboard::store {

class SqliteChangeFeedRepository final : public ChangeFeedRepository {
 public:
  explicit SqliteChangeFeedRepository(SqliteDb& db) : db_(db) {}
  std::int64_t append(const std::string& topic, const std::string& key, const std::string& now) override;
  std::int64_t latest() override;
  std::vector<Change> after(std::int64_t after, std::int64_t limit) override;
  std::int64_t prune(const std::string& cutoff) override;

 private:
  SqliteDb& db_;
};

class SqliteRateBucketRepository final : public RateBucketRepository {
 public:
  explicit SqliteRateBucketRepository(SqliteDb& db) : db_(db) {}
  RateBucket update(const std::string& key,
                    const std::function<RateBucket(const std::optional<RateBucket>&)>& step) override;

 private:
  SqliteDb& db_;
};

}  // namespace plugboard::store

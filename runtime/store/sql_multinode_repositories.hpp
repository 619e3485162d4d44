// The repositories that let several nodes share one database: the change feed (cache
// invalidation between nodes) and the shared rate-limit buckets.
#pragma once

#include "store/repositories.hpp"
#include "store/sql_db.hpp"

namespace plugboard::store {

class SqlChangeFeedRepository final : public ChangeFeedRepository {
 public:
  explicit SqlChangeFeedRepository(Db& db) : db_(db) {}
  std::int64_t append(const std::string& topic, const std::string& key, const std::string& now) override;
  std::int64_t latest() override;
  std::vector<Change> after(std::int64_t after, std::int64_t limit) override;
  std::int64_t prune(const std::string& cutoff) override;

 private:
  Db& db_;
};

class SqlRateBucketRepository final : public RateBucketRepository {
 public:
  explicit SqlRateBucketRepository(Db& db) : db_(db) {}
  RateBucket update(const std::string& key,
                    const std::function<RateBucket(const std::optional<RateBucket>&)>& step) override;

 private:
  Db& db_;
};

}  // namespace plugboard::store

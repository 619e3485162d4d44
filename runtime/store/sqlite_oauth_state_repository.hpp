// SQLite's OAuthStateRepository. Kept apart from sqlite_repositories.hpp so the OAuth2 state
// can evolve without touching the other aggregates.
#pragma once

#include "store/repositories.hpp"
#include "store/sqlite_db.hpp"

namespace plugboard::store {

class SqliteOAuthStateRepository final : public OAuthStateRepository {
 public:
  explicit SqliteOAuthStateRepository(SqliteDb& db) : db_(db) {}
  void create(const OAuthState& s) override;
  std::optional<OAuthState> take(const std::string& id, const std::string& now) override;
  std::optional<OAuthState> get(const std::string& id) override;
  std::int64_t prune(const std::string& cutoff) override;

 private:
  SqliteDb& db_;
};

}  // namespace plugboard::store

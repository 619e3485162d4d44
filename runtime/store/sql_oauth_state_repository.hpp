// The OAuthStateRepository (both dialects). Kept apart from sql_repositories.hpp so the
// OAuth2 state can evolve without touching the other aggregates.
#pragma once

#include "store/repositories.hpp"
#include "store/sql_db.hpp"

namespace plugboard::store {

class SqlOAuthStateRepository final : public OAuthStateRepository {
 public:
  explicit SqlOAuthStateRepository(Db& db) : db_(db) {}
  void create(const OAuthState& s) override;
  std::optional<OAuthState> take(const std::string& id, const std::string& now) override;
  std::optional<OAuthState> get(const std::string& id) override;
  std::int64_t prune(const std::string& cutoff) override;

 private:
  Db& db_;
};

}  // namespace plugboard::store

// API keys: created (shown once), listed, revoked, and resolved on every request from an
// in-memory cache so the request path never waits on the database.
#pragma once

#include "auth/principal.hpp"
#include "store/repositories.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace plugboard::auth {

enum class AuthFailure { missing, invalid };

struct NewApiKey {
  store::ApiKey record;
  std::string key;  // the secret, returned to the caller once
};

class ApiKeyService {
 public:
  explicit ApiKeyService(store::Store& store, std::chrono::seconds cache_ttl = std::chrono::seconds(30));

  // Throws std::invalid_argument for bad operations or expiry.
  NewApiKey create(const std::string& workspace_id, const std::string& name,
                   std::vector<std::string> operations, std::vector<std::string> integrations,
                   std::vector<std::string> projects, std::optional<std::string> expires_at,
                   std::optional<store::RateLimit> rate_limit);
  std::vector<store::ApiKey> list(const std::string& workspace_id, const store::Page& page);
  std::int64_t count(const std::string& workspace_id);
  std::optional<store::ApiKey> get(const std::string& workspace_id, const std::string& id);
  bool revoke(const std::string& workspace_id, const std::string& id);
  // Drops the cached principal of key `id` (another node changed it; see auth/change_feed.hpp).
  void forget_key(const std::string& id);
  // Drops every cached principal (the change feed may have missed something).
  void forget_all();

  // The principal for a presented key, or nullptr when it is unknown, revoked or expired.
  std::shared_ptr<const Principal> authenticate(std::string_view presented);

  // Drains the last-used times collected since the previous call (written in batches).
  std::vector<std::pair<std::string, std::string>> take_last_used();

 private:
  struct Cached {
    std::shared_ptr<const Principal> principal;  // null: no such key
    std::chrono::steady_clock::time_point loaded;
    // Seconds since the epoch of the last use not yet written; 0 when there is none. Atomic so
    // the request path marks a use under the shared (reader) lock.
    std::atomic<std::int64_t> unwritten_use{0};
  };
  store::Store& store_;
  std::chrono::seconds ttl_;
  std::shared_mutex mutex_;  // readers on every request, a writer only on a miss or revoke
  std::unordered_map<std::string, std::shared_ptr<Cached>> by_hash_;
};

// read, write, execute, admin
const std::vector<std::string>& known_operations();

}  // namespace plugboard::auth

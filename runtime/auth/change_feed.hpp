// Cache invalidation between nodes sharing one database. A service that changes a record
// other nodes may hold in a cache publishes (topic, key) to the store's change feed right
// after the change; each node's ChangeWatcher (app/change_watcher.hpp) hears it within a poll
// interval and drops exactly that entry. Publishing is best effort: if it fails the change
// still stands, and other nodes fall back on their caches' TTLs (30 s keys, 60 s connections).
#pragma once

#include "store/repositories.hpp"

#include <string>

namespace plugboard::auth {

namespace topics {
inline constexpr const char* kApiKey = "api_key";           // key: the API key's id
inline constexpr const char* kConnection = "connection";    // key: the connection's id
inline constexpr const char* kIntegration = "integration";  // key: the integration's id ("" for any)
inline constexpr const char* kProject = "project";          // key: the project's id
}  // namespace topics

// Appends the change; a store failure is logged, never thrown (see above).
void publish_change(store::Store& store, const char* topic, const std::string& key);

}  // namespace plugboard::auth

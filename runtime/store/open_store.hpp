// Opens the configured database and returns its repositories.
#pragma once

#include "store/repositories.hpp"

#include <memory>
#include <string>

namespace plugboard::store {

// url: "sqlite:///absolute/path.db", "sqlite://relative/path.db" or a plain file path; the
// parent directory is created; or "postgresql://user[:password]@host[:port]/dbname" (see
// postgres_url.hpp). max_sessions bounds the connection pool (1..1024).
// Migrations run before this returns.
inline constexpr int kDefaultPoolSize = 8;
std::unique_ptr<Store> open_store(const std::string& url, int max_sessions = kDefaultPoolSize);

}  // namespace plugboard::store

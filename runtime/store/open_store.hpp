// Opens the configured database and returns its repositories.
#pragma once

#include "store/repositories.hpp"

#include <memory>
#include <string>

namespace plugboard::store {

// url: "sqlite:///absolute/path.db", "sqlite://relative/path.db" or a plain file path; the
// parent directory is created. Other schemes (postgresql://) throw StoreError for now.
// Migrations run before this returns.
std::unique_ptr<Store> open_store(const std::string& url);

}  // namespace plugboard::store

#include "store/sqlite_store.hpp"

#include "store/sqlite_migrate.hpp"

namespace plugboard::store {

using namespace Poco::Data::Keywords;

SqliteStore::SqliteStore(const std::string& path, int max_sessions) : db_(path, max_sessions) {
  migrate_sqlite(db_);
}

int SqliteStore::schema_version() { return sqlite_schema_version(db_); }

std::string SqliteStore::journal_mode() {
  return db_.run("reading journal mode", [](Poco::Data::Session& s) {
    std::string mode;
    s << "PRAGMA journal_mode", into(mode), now;
    return mode;
  });
}

}  // namespace plugboard::store

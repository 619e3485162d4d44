#include "store/sql_store.hpp"

#include "store/sql_migrate.hpp"

namespace plugboard::store {

using namespace Poco::Data::Keywords;

SqlStore::SqlStore(std::unique_ptr<Db> db) : db_(std::move(db)) { migrate(*db_); }

int SqlStore::schema_version() { return recorded_schema_version(*db_); }

std::string SqlStore::journal_mode() {
  if (db_->dialect() != Dialect::sqlite) return {};
  return db_->run("reading journal mode", [](Poco::Data::Session& s) {
    std::string mode;
    s << "PRAGMA journal_mode", into(mode), now;
    return mode;
  });
}

}  // namespace plugboard::store

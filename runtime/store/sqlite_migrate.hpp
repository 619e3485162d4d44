// Brings a SQLite database to the schema this binary knows (see migrations.hpp).
#pragma once

#include "store/sqlite_db.hpp"

namespace plugboard::store {

// Applies every pending migration, each in its own IMMEDIATE transaction that re-reads the
// recorded version first, so concurrent starts and restarts apply each step exactly once.
// Throws StoreError if the database records a version newer than latest_schema_version().
void migrate_sqlite(SqliteDb& db);

// Highest version recorded in schema_migrations (0 for an empty database).
int sqlite_schema_version(SqliteDb& db);

}  // namespace plugboard::store

// Brings a database of either dialect to the schema this binary knows (see migrations.hpp).
#pragma once

#include "store/sql_db.hpp"

namespace plugboard::store {

// Applies every pending migration, each in its own transaction that re-reads the recorded
// version first, so concurrent starts and restarts apply each step exactly once: on SQLite
// the IMMEDIATE transaction excludes other writers, on PostgreSQL a transaction-scoped
// advisory lock does (two nodes starting at once against one database).
// Throws StoreError if the database records a version newer than latest_schema_version().
void migrate(Db& db);

// Highest version recorded in schema_migrations (0 for an empty database).
int recorded_schema_version(Db& db);

// A migration's text as single statements: PostgreSQL prepares each statement, and a
// prepared statement holds one command. Splits at ';' ending a line.
std::vector<std::string> split_statements(const std::string& sql);

}  // namespace plugboard::store

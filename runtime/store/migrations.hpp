// The schema, as an ordered list of versioned steps with one SQL text per backend. A step is
// never edited once released: schema changes append a new version. Each backend applies the
// steps newer than the version recorded in its schema_migrations table, one transaction each.
#pragma once

#include <string>
#include <vector>

namespace plugboard::store {

struct Migration {
  int version;
  std::string description;
  std::string sqlite_sql;    // may hold several statements
  std::string postgres_sql;  // the same schema in PostgreSQL's dialect
};

// Sorted by version, starting at 1, without gaps.
const std::vector<Migration>& migrations();

// The newest version this binary knows; a database recording a newer one is refused.
int latest_schema_version();

}  // namespace plugboard::store

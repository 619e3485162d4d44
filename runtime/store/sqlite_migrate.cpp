#include "store/sqlite_migrate.hpp"

#include "store/iso_time.hpp"
#include "store/migrations.hpp"

#include <Poco/Data/Statement.h>

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::Session;

namespace {

constexpr const char* kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)";

Poco::Int64 recorded_version(Session& s) {
  Poco::Int64 version = 0;
  s << "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", into(version), now;
  return version;
}

void refuse_if_newer(const SqliteDb& db, Poco::Int64 version) {
  if (version > latest_schema_version()) {
    throw StoreError(
        "database " + db.path() + " has schema version " + std::to_string(version) +
        ", newer than this Plugboard build knows (" + std::to_string(latest_schema_version()) +
        "); run the newer Plugboard that upgraded it, or restore a backup taken before the upgrade");
  }
}

}  // namespace

void migrate_sqlite(SqliteDb& db) {
  db.run("migrating SQLite schema", [&](Session& s) {
    s << kCreateVersionTable, now;
    refuse_if_newer(db, recorded_version(s));
    for (const Migration& m : migrations()) {
      SqliteTransaction tx(s);
      const Poco::Int64 current = recorded_version(s);
      refuse_if_newer(db, current);
      if (current >= m.version) continue;  // applied earlier or by a concurrent process
      try {
        s << m.sqlite_sql, now;
      } catch (const Poco::Exception& e) {
        throw StoreError("migration " + std::to_string(m.version) + " (" + m.description +
                         ") failed: " + e.displayText());
      }
      Poco::Int64 version = m.version;
      std::string applied_at = now_iso();
      s << "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)", use(version),
          useRef(m.description), use(applied_at), now;
      tx.commit();
    }
  });
}

int sqlite_schema_version(SqliteDb& db) {
  return db.run("reading schema version", [](Session& s) { return static_cast<int>(recorded_version(s)); });
}

}  // namespace plugboard::store

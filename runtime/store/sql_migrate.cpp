#include "store/sql_migrate.hpp"

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

// Any constant shared by every Plugboard node: "PBMIGRAT" as a 64-bit number.
constexpr const char* kMigrationLock = "SELECT 1 FROM pg_advisory_xact_lock(5786869022939300180)";

Poco::Int64 recorded_version(Session& s) {
  Poco::Int64 version = 0;
  s << "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", into(version), now;
  return version;
}

void refuse_if_newer(const Db& db, Poco::Int64 version) {
  if (version > latest_schema_version()) {
    throw StoreError(
        db.label() + " has schema version " + std::to_string(version) +
        ", newer than this Plugboard build knows (" + std::to_string(latest_schema_version()) +
        "); run the newer Plugboard that upgraded it, or restore a backup taken before the upgrade");
  }
}

// Opens a migration step: the transaction, then (PostgreSQL) the lock every node's step
// takes, released at commit; the version table is created under it so two first starts
// cannot both create it.
void begin_step(const Db& db, Session& s) {
  if (db.dialect() == Dialect::postgresql) {
    Poco::Int64 one = 0;
    s << kMigrationLock, into(one), now;
  }
  s << kCreateVersionTable, now;
}

}  // namespace

std::vector<std::string> split_statements(const std::string& sql) {
  std::vector<std::string> out;
  std::string current;
  std::size_t pos = 0;
  while (pos < sql.size()) {
    auto nl = sql.find('\n', pos);
    if (nl == std::string::npos) nl = sql.size();
    std::string line = sql.substr(pos, nl - pos);
    pos = nl + 1;
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    current += line + "\n";
    if (!line.empty() && line.back() == ';') {
      out.push_back(current);
      current.clear();
    }
  }
  if (current.find_first_not_of(" \n\t") != std::string::npos) out.push_back(current);
  return out;
}

void migrate(Db& db) {
  db.run("migrating the schema of " + db.label(), [&](Session& s) {
    for (const Migration& m : migrations()) {
      Transaction tx(db, s);
      begin_step(db, s);
      const Poco::Int64 current = recorded_version(s);
      refuse_if_newer(db, current);
      if (current >= m.version) continue;  // applied earlier or by a concurrent process
      const std::string& text = db.dialect() == Dialect::sqlite ? m.sqlite_sql : m.postgres_sql;
      try {
        for (const std::string& statement : split_statements(text)) s << statement, now;
      } catch (const Poco::Exception& e) {
        throw StoreError("migration " + std::to_string(m.version) + " (" + m.description +
                         ") failed: " + e.displayText());
      }
      Poco::Int64 version = m.version;
      std::string applied_at = now_iso();
      s << db.sql("INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)"),
          use(version), useRef(m.description), use(applied_at), now;
      tx.commit();
    }
  });
}

int recorded_schema_version(Db& db) {
  return db.run("reading schema version", [](Session& s) { return static_cast<int>(recorded_version(s)); });
}

}  // namespace plugboard::store

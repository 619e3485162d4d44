// Opening a SQLite database: the file, WAL, and per-connection settings. Everything else is
// the dialect-neutral Db (sql_db.hpp).
#include "store/sql_db.hpp"

#include <Poco/Data/SQLite/Connector.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <system_error>

namespace plugboard::store {

using namespace Poco::Data::Keywords;

namespace {

constexpr int kBusyTimeoutMs = 5000;

void register_sqlite_connector() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Data::SQLite::Connector::registerConnector(); });
}

// Per-connection settings: SQLite keeps these per connection, not in the file, so every
// new pooled session needs them.
class SqlitePool : public Poco::Data::SessionPool {
 public:
  SqlitePool(const std::string& path, int max_sessions)
      : Poco::Data::SessionPool("SQLite", path, 1, max_sessions, 60) {}

 protected:
  void customizeSession(Poco::Data::Session& session) override {
    session << "PRAGMA busy_timeout = " + std::to_string(kBusyTimeoutMs), now;
    session << "PRAGMA foreign_keys = ON", now;
  }
};

// The database holds sealed credentials and key hashes: create it private. SQLite gives the
// -wal and -shm files the database's mode. An existing file keeps the mode the operator chose.
void create_private(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot create " + path);
  ::close(fd);
}

}  // namespace

std::unique_ptr<Db> open_sqlite_db(const std::string& path, int max_sessions) {
  if (max_sessions < 1 || max_sessions > Db::kMaxSessions)
    throw StoreError("SQLite pool size must be between 1 and " + std::to_string(Db::kMaxSessions));
  register_sqlite_connector();
  const std::string what = "cannot open SQLite database " + path;
  std::unique_ptr<Db> db;
  try {
    create_private(path);
    db = std::make_unique<Db>(Dialect::sqlite, std::make_unique<SqlitePool>(path, max_sessions), max_sessions,
                              "SQLite database " + path);
  } catch (const StoreError&) {
    throw;
  } catch (const std::exception& e) {
    throw StoreError(what + ": " + e.what());
  }
  // WAL is a property of the file: readers no longer block the writer, nor it them.
  const std::string mode = db->run(what, [](Poco::Data::Session& s) {
    std::string m;
    s << "PRAGMA journal_mode = WAL", into(m), now;
    return m;
  });
  if (mode != "wal") throw StoreError("SQLite refused WAL journal mode (got '" + mode + "')");
  return db;
}

}  // namespace plugboard::store

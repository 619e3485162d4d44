#include "store/sqlite_db.hpp"

#include <Poco/Data/SQLite/Connector.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <system_error>

namespace plugboard::store {

using namespace Poco::Data::Keywords;

namespace {

// How long a caller waits for a pooled connection before giving up.
constexpr auto kCheckoutTimeout = std::chrono::seconds(30);

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
    session << "PRAGMA busy_timeout = " + std::to_string(SqliteDb::kBusyTimeoutMs), now;
    session << "PRAGMA foreign_keys = ON", now;
  }
};

std::string conflict_detail(const std::string& text) {
  // SQLite names the columns: "UNIQUE constraint failed: workspaces.name".
  const auto pos = text.find("constraint failed: ");
  if (pos == std::string::npos) return {};
  auto detail = text.substr(pos + 19);
  const auto end = detail.find_first_of("\n(");
  if (end != std::string::npos) detail.resize(end);
  while (!detail.empty() && detail.back() == ' ') detail.pop_back();
  return detail;
}

// The database holds sealed credentials and key hashes: create it private. SQLite gives the
// -wal and -shm files the database's mode. An existing file keeps the mode the operator chose.
void create_private(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot create " + path);
  ::close(fd);
}

}  // namespace

void rethrow_as_store_error(std::string_view what) {
  try {
    throw;
  } catch (const StoreError&) {
    throw;
  } catch (const Poco::Exception& e) {
    const std::string text = e.displayText();
    if (text.find("UNIQUE constraint failed") != std::string::npos) {
      throw ConflictError(std::string(what) + ": already exists (" + conflict_detail(text) + ")");
    }
    throw StoreError(std::string(what) + ": " + text);
  } catch (const std::exception& e) {
    throw StoreError(std::string(what) + ": " + e.what());
  }
}

SqliteDb::SqliteDb(const std::string& path, int max_sessions) : path_(path), free_(max_sessions) {
  if (max_sessions < 1 || max_sessions > 1024)
    throw StoreError("SQLite pool size must be between 1 and 1024");
  register_sqlite_connector();
  try {
    create_private(path);
    pool_ = std::make_unique<SqlitePool>(path, max_sessions);
    Lease lease(*this);
    // WAL is a property of the file: readers no longer block the writer, nor it them.
    std::string mode;
    *lease.session << "PRAGMA journal_mode = WAL", into(mode), now;
    if (mode != "wal") throw StoreError("SQLite refused WAL journal mode (got '" + mode + "')");
  } catch (...) {
    rethrow_as_store_error("cannot open SQLite database " + path);
  }
}

SqliteDb::~SqliteDb() {
  if (pool_) pool_->shutdown();
}

SqliteDb::Lease::Lease(SqliteDb& d) : db(d) {
  if (!db.free_.try_acquire_for(kCheckoutTimeout)) {
    throw StoreError("all database connections stayed busy for " + std::to_string(kCheckoutTimeout.count()) +
                     " s");
  }
  try {
    session.emplace(db.pool_->get());
  } catch (...) {
    db.free_.release();
    throw;
  }
}

SqliteDb::Lease::~Lease() {
  // Hand the connection back to the pool before letting another caller check one out.
  session.reset();
  db.free_.release();
}

SqliteTransaction::SqliteTransaction(Poco::Data::Session& session) : session_(session) {
  session_ << "BEGIN IMMEDIATE", now;
}

SqliteTransaction::~SqliteTransaction() {
  if (done_) return;
  try {
    session_ << "ROLLBACK", now;
  } catch (...) {
    // SQLite may already have rolled back (e.g. after SQLITE_FULL); nothing more to undo.
  }
}

void SqliteTransaction::commit() {
  session_ << "COMMIT", now;
  done_ = true;
}

}  // namespace plugboard::store

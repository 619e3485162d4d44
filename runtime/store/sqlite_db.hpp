// The SQLite connection pool shared by the SQLite repositories: every connection is set up
// the same way (busy timeout, foreign keys), checkouts wait for a free connection instead of
// failing, and every database error leaves as StoreError or ConflictError.
#pragma once

#include "store/repositories.hpp"

#include <Poco/Data/Session.h>
#include <Poco/Data/SessionPool.h>

#include <chrono>
#include <memory>
#include <optional>
#include <semaphore>
#include <string>
#include <string_view>

namespace plugboard::store {

// Rethrows the exception in flight as StoreError/ConflictError prefixed with `what`.
// Messages carry SQLite's text (table and column names), never bound values.
[[noreturn]] void rethrow_as_store_error(std::string_view what);

class SqliteDb {
 public:
  static constexpr int kBusyTimeoutMs = 5000;

  // Opens (creating, mode 0600) the database file and switches it to WAL. max_sessions is
  // 1..1024. Throws StoreError.
  SqliteDb(const std::string& path, int max_sessions);
  ~SqliteDb();

  const std::string& path() const { return path_; }

  // Runs fn(Poco::Data::Session&) on a pooled connection; any exception becomes a
  // StoreError/ConflictError whose message starts with `what`. Do not nest run() calls:
  // the inner one could wait for a connection the outer one holds.
  template <class Fn>
  auto run(std::string_view what, Fn&& fn) {
    try {
      Lease lease(*this);
      return fn(*lease.session);
    } catch (...) {
      rethrow_as_store_error(what);
    }
  }

 private:
  // A checked-out connection; the semaphore slot is released after the session goes back.
  struct Lease {
    explicit Lease(SqliteDb& db);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    SqliteDb& db;
    std::optional<Poco::Data::Session> session;
  };

  std::string path_;
  std::unique_ptr<Poco::Data::SessionPool> pool_;
  // Poco's pool throws when exhausted; this makes callers wait (bounded) instead.
  std::counting_semaphore<1024> free_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back unless commit() ran. IMMEDIATE takes the write
// lock up front: in WAL mode a deferred transaction that later writes can fail with
// SQLITE_BUSY without waiting for the busy timeout.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(Poco::Data::Session& session);
  ~SqliteTransaction();
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  void commit();

 private:
  Poco::Data::Session& session_;
  bool done_ = false;
};

}  // namespace plugboard::store

// The database the repositories share: a connection pool, transactions, and the few places
// where SQLite and PostgreSQL differ (the Dialect). One repository serves both backends.
//
// How a repository is written:
//   class SqlThingRepository final : public ThingRepository {
//    public:
//     explicit SqlThingRepository(Db& db) : db_(db) {}
//     std::optional<Thing> get(const std::string& id) override {
//       return db_.run("reading thing", [&](Session& s) {       // errors become StoreError
//         Statement st(s);
//         st << db_.sql("SELECT id, name FROM things WHERE id = ?"), useRef(id);
//         return select_one(st, read_thing);                    // sql_rows.hpp
//       });
//     }
//    private:
//     Db& db_;
//   };
// - Every statement's text goes through db_.sql() once, whole: write '?' placeholders and
//   it numbers them $1, $2, ... on PostgreSQL.
// - Write SQL both dialects accept: INSERT ... ON CONFLICT (...) DO NOTHING (not INSERT OR
//   IGNORE), flags as INTEGER 0/1, times as ISO text or unix-ms integers, no last_insert_rowid.
// - Statements that must be atomic: Transaction tx(db_, s); ...; tx.commit();
// - Claiming durable work: inside a Transaction, "SELECT ... LIMIT ?" + db_.skip_locked(),
//   then UPDATE the claimed rows' lease: other nodes skip rows this one has locked.
// - A new table is a new migration with both dialects' SQL (migrations.cpp).
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

enum class Dialect { sqlite, postgresql };

class Db {
 public:
  static constexpr int kMaxSessions = 1024;

  // pool hands out ready-to-use sessions of the dialect; max_sessions (1..1024) bounds the
  // checkouts; label names the database in errors; secret (e.g. a password) is cut out of any
  // error text, whatever the driver puts there. Throws StoreError.
  Db(Dialect dialect, std::unique_ptr<Poco::Data::SessionPool> pool, int max_sessions, std::string label,
     std::string secret = {});
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  Dialect dialect() const { return dialect_; }
  // "SQLite database /path" or "PostgreSQL database host:port/name", for messages.
  const std::string& label() const { return label_; }

  // The statement text for this dialect: '?' placeholders outside quotes become $1, $2, ...
  // on PostgreSQL; SQLite's text is returned unchanged.
  std::string sql(std::string_view text) const;

  // Appended to a claim's SELECT: rows another node has locked are skipped, not waited for.
  // Empty on SQLite, where the claim's IMMEDIATE transaction already excludes other writers.
  const char* skip_locked() const;

  // A condition true when the text expression `haystack` contains the text expression `needle`
  // (instr on SQLite, strpos on PostgreSQL).
  std::string contains(std::string_view haystack, std::string_view needle) const;

  // The size in bytes (not characters) of the text expression `expr`.
  std::string byte_length(std::string_view expr) const;

  // Runs fn(Poco::Data::Session&) on a pooled connection; any exception becomes a
  // StoreError/ConflictError whose message starts with `what`. Do not nest run() calls:
  // the inner one could wait for a connection the outer one holds.
  template <class Fn>
  auto run(std::string_view what, Fn&& fn) {
    try {
      Lease lease(*this);
      return fn(*lease.session);
    } catch (...) {
      rethrow(what);
    }
  }

  // Rethrows the exception in flight as StoreError/ConflictError prefixed with `what`.
  // Messages carry the database's text (table, column and constraint names), never bound
  // values and never the secret.
  [[noreturn]] void rethrow(std::string_view what) const;

 private:
  // A checked-out connection; the semaphore slot is released after the session goes back.
  struct Lease {
    explicit Lease(Db& db);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Db& db;
    std::optional<Poco::Data::Session> session;
  };

  Dialect dialect_;
  std::string label_;
  std::string secret_;
  std::unique_ptr<Poco::Data::SessionPool> pool_;
  // Poco's pool throws when exhausted; this makes callers wait (bounded) instead.
  std::counting_semaphore<kMaxSessions> free_;
};

// A transaction, rolled back unless commit() ran. On SQLite it is BEGIN IMMEDIATE, which
// takes the write lock up front: in WAL mode a deferred transaction that later writes can
// fail with SQLITE_BUSY without waiting for the busy timeout. On PostgreSQL a plain BEGIN;
// claims lock their rows with db.skip_locked().
class Transaction {
 public:
  Transaction(const Db& db, Poco::Data::Session& session);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Poco::Data::Session& session_;
  bool sqlite_;
  bool done_ = false;
};

// '?' placeholders outside quotes as $1, $2, ... (PostgreSQL's style); Db::sql uses it.
std::string numbered_placeholders(std::string_view text);

// The SQLite and PostgreSQL openers (sqlite_db.cpp, postgres_db.cpp).
// Opens (creating, mode 0600) the database file and switches it to WAL.
std::unique_ptr<Db> open_sqlite_db(const std::string& path, int max_sessions);
// url: postgresql://user[:password]@host[:port]/dbname[?param=value&...] (see postgres_url.hpp).
std::unique_ptr<Db> open_postgres_db(const std::string& url, int max_sessions);

}  // namespace plugboard::store

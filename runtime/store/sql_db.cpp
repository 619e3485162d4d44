#include "store/sql_db.hpp"

#include <Poco/Exception.h>

namespace plugboard::store {

using namespace Poco::Data::Keywords;

namespace {

// How long a caller waits for a pooled connection before giving up.
constexpr auto kCheckoutTimeout = std::chrono::seconds(30);

// What a unique violation names, never the values: SQLite says "UNIQUE constraint failed:
// workspaces.name", PostgreSQL 'duplicate key value violates unique constraint "x_key"'.
std::string conflict_detail(const std::string& text) {
  auto pos = text.find("constraint failed: ");
  std::size_t skip = 19;
  if (pos == std::string::npos) {
    pos = text.find("unique constraint \"");
    skip = 19;
  }
  if (pos == std::string::npos) return {};
  auto detail = text.substr(pos + skip);
  const auto end = detail.find_first_of("\n(\"");
  if (end != std::string::npos) detail.resize(end);
  while (!detail.empty() && detail.back() == ' ') detail.pop_back();
  return detail;
}

bool is_unique_violation(const std::string& text) {
  return text.find("UNIQUE constraint failed") != std::string::npos ||
         text.find("duplicate key value violates unique constraint") != std::string::npos;
}

// PostgreSQL's message continues with DETAIL lines that quote the row ("Key (id)=(x)",
// "Failing row contains (...)"): bound values, possibly sealed secrets. Keep the first line.
std::string without_row_values(std::string text) {
  for (const char* marker : {"\nDETAIL:", "DETAIL:  "}) {
    const auto pos = text.find(marker);
    if (pos != std::string::npos) text.resize(pos);
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

Db::Db(Dialect dialect, std::unique_ptr<Poco::Data::SessionPool> pool, int max_sessions, std::string label,
       std::string secret)
    : dialect_(dialect),
      label_(std::move(label)),
      secret_(std::move(secret)),
      pool_(std::move(pool)),
      free_(max_sessions < 1 || max_sessions > kMaxSessions ? 0 : max_sessions) {
  if (max_sessions < 1 || max_sessions > kMaxSessions)
    throw StoreError("database pool size must be between 1 and " + std::to_string(kMaxSessions));
}

Db::~Db() {
  if (pool_) pool_->shutdown();
}

std::string Db::sql(std::string_view text) const {
  return dialect_ == Dialect::sqlite ? std::string(text) : numbered_placeholders(text);
}

std::string numbered_placeholders(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  int n = 0;
  char quote = 0;  // inside '...' or "...": a '?' there is text, not a placeholder
  for (const char c : text) {
    if (quote) {
      if (c == quote) quote = 0;  // a doubled quote closes and reopens: same result
      out.push_back(c);
    } else if (c == '\'' || c == '"') {
      quote = c;
      out.push_back(c);
    } else if (c == '?') {
      out += '$' + std::to_string(++n);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

const char* Db::skip_locked() const {
  return dialect_ == Dialect::postgresql ? " FOR UPDATE SKIP LOCKED" : "";
}

std::string Db::contains(std::string_view haystack, std::string_view needle) const {
  const std::string args = std::string(haystack) + ", " + std::string(needle);
  return (dialect_ == Dialect::postgresql ? "strpos(" : "instr(") + args + ") > 0";
}

std::string Db::byte_length(std::string_view expr) const {
  const std::string e(expr);
  return dialect_ == Dialect::postgresql ? "octet_length(" + e + ")" : "LENGTH(CAST(" + e + " AS BLOB))";
}

void Db::rethrow(std::string_view what) const {
  auto redact = [this](std::string text) {
    if (secret_.empty()) return text;
    for (auto pos = text.find(secret_); pos != std::string::npos; pos = text.find(secret_, pos))
      text.replace(pos, secret_.size(), "***");
    return text;
  };
  try {
    throw;
  } catch (const StoreError& e) {
    if (secret_.empty() || std::string_view(e.what()).find(secret_) == std::string_view::npos) throw;
    throw StoreError(redact(e.what()));
  } catch (const Poco::Exception& e) {
    const std::string text = e.displayText();
    if (is_unique_violation(text)) {
      throw ConflictError(std::string(what) + ": already exists (" + conflict_detail(text) + ")");
    }
    throw StoreError(std::string(what) + ": " + redact(without_row_values(text)));
  } catch (const std::exception& e) {
    throw StoreError(std::string(what) + ": " + redact(without_row_values(e.what())));
  }
}

Db::Lease::Lease(Db& d) : db(d) {
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

Db::Lease::~Lease() {
  // Hand the connection back to the pool before letting another caller check one out.
  session.reset();
  db.free_.release();
}

Transaction::Transaction(const Db& db, Poco::Data::Session& session)
    : session_(session), sqlite_(db.dialect() == Dialect::sqlite) {
  if (sqlite_) {
    session_ << "BEGIN IMMEDIATE", now;
  } else {
    session_.begin();
  }
}

Transaction::~Transaction() {
  if (done_) return;
  try {
    if (sqlite_) {
      session_ << "ROLLBACK", now;
    } else {
      session_.rollback();
    }
  } catch (...) {
    // Already rolled back (SQLite after SQLITE_FULL, PostgreSQL after a lost connection).
  }
}

void Transaction::commit() {
  if (sqlite_) {
    session_ << "COMMIT", now;
  } else {
    session_.commit();
  }
  done_ = true;
}

}  // namespace plugboard::store

#include "store/open_store.hpp"

#include "store/sql_store.hpp"

#include <cctype>
#include <filesystem>
#include <system_error>

namespace plugboard::store {

namespace {

// Scheme of "scheme://rest", or "" for a plain path.
std::string scheme_of(const std::string& url) {
  const auto pos = url.find("://");
  if (pos == std::string::npos) return {};
  std::string scheme = url.substr(0, pos);
  for (const char c : scheme) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return {};
  }
  return scheme;
}

std::unique_ptr<Db> open_sqlite_url(const std::string& url, const std::string& scheme, int max_sessions) {
  // "sqlite:///a/b.db" keeps its leading '/', "sqlite://a.db" is relative
  const std::string path = scheme.empty() ? url : url.substr(9);
  if (path.empty()) throw StoreError("database URL '" + url + "' names no file");
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) throw StoreError("cannot create database directory " + parent.string() + ": " + ec.message());
  }
  return open_sqlite_db(path, max_sessions);
}

}  // namespace

std::unique_ptr<Store> open_store(const std::string& url, int max_sessions) {
  const std::string scheme = scheme_of(url);
  if (scheme.empty() || scheme == "sqlite")
    return std::make_unique<SqlStore>(open_sqlite_url(url, scheme, max_sessions));
  if (scheme == "postgresql" || scheme == "postgres")
    return std::make_unique<SqlStore>(open_postgres_db(url, max_sessions));
  // Only the scheme is echoed: the rest of a URL may hold a password.
  throw StoreError(
      "database scheme '" + scheme +
      "' is not supported (use sqlite:///path/to/file.db or postgresql://user@host:port/dbname)");
}

}  // namespace plugboard::store

#include "store/open_store.hpp"

#include "store/sqlite_store.hpp"

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

}  // namespace

std::unique_ptr<Store> open_store(const std::string& url) {
  const std::string scheme = scheme_of(url);
  std::string path;
  if (scheme.empty()) {
    path = url;
  } else if (scheme == "sqlite") {
    path = url.substr(9);  // "sqlite:///a/b.db" keeps its leading '/', "sqlite://a.db" is relative
  } else {
    // Only the scheme is echoed: the rest of a URL may hold a password.
    throw StoreError("database scheme '" + scheme + "' is not supported yet (use sqlite:///path/to/file.db)");
  }
  if (path.empty()) throw StoreError("database URL '" + url + "' names no file");
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) throw StoreError("cannot create database directory " + parent.string() + ": " + ec.message());
  }
  return std::make_unique<SqliteStore>(path);
}

}  // namespace plugboard::store

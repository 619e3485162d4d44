// Turns a postgresql:// URL into the libpq connection string Poco's connector takes.
#pragma once

#include <string>

namespace plugboard::store {

struct PostgresTarget {
  std::string conninfo;  // key='value' pairs, quoted for libpq
  std::string label;     // "PostgreSQL database host:port/dbname", safe to log
  std::string password;  // "" when the URL has none; cut out of every error message
};

// url: postgresql://[user[:password]@]host[:port]/dbname[?key=value&...] (also postgres://);
// user and password may be percent-encoded; the query passes libpq parameters such as
// sslmode or connect_timeout (10 s unless given). Without a password in the URL libpq reads
// PGPASSWORD or ~/.pgpass. Values cannot hold whitespace (Poco's connector splits at spaces).
// Throws StoreError naming what is wrong, never echoing the password.
PostgresTarget parse_postgres_url(const std::string& url);

}  // namespace plugboard::store

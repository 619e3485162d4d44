#include "store/postgres_url.hpp"

#include "store/repositories.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace plugboard::store {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(const std::string& s, const char* part) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    const int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
    const int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      throw StoreError(std::string("PostgreSQL URL: bad percent-encoding in the ") + part);
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

// libpq quoting: single quotes around, backslash before ' and \.
std::string quoted(const std::string& v) {
  std::string out = "'";
  for (const char c : v) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "'";
}

// Poco's connector splits the connection string at spaces before libpq sees its quotes, so a
// value holding whitespace cannot be passed; the message names the part, not its value.
void add(std::string& conninfo, const std::string& key, const std::string& value) {
  if (std::any_of(value.begin(), value.end(), [](unsigned char c) { return std::isspace(c); })) {
    throw StoreError("PostgreSQL URL: the " + key + " holds whitespace, which the connector cannot pass" +
                     (key == "password" ? " (leave it out of the URL and set PGPASSWORD instead)" : ""));
  }
  if (!conninfo.empty()) conninfo.push_back(' ');
  conninfo += key + "=" + quoted(value);
}

}  // namespace

PostgresTarget parse_postgres_url(const std::string& url) {
  const auto scheme_end = url.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "postgresql" && scheme != "postgres")
    throw StoreError("PostgreSQL URL must start with postgresql://");
  std::string rest = url.substr(scheme_end + 3);
  std::string query;
  if (const auto q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest.resize(q);
  }
  const auto slash = rest.find('/');
  if (slash == std::string::npos || slash + 1 == rest.size())
    throw StoreError("PostgreSQL URL names no database (postgresql://user@host:port/dbname)");
  const std::string dbname = percent_decode(rest.substr(slash + 1), "database name");
  std::string authority = rest.substr(0, slash);
  std::string user, password;
  if (const auto at = authority.rfind('@'); at != std::string::npos) {
    std::string userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    if (const auto colon = userinfo.find(':'); colon != std::string::npos) {
      password = percent_decode(userinfo.substr(colon + 1), "password");
      userinfo.resize(colon);
    }
    user = percent_decode(userinfo, "user name");
  }
  std::string host = authority, port = "5432";
  if (const auto colon = authority.rfind(':');
      colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }) ||
        std::stoi(port) == 0 || std::stoi(port) > 65535)
      throw StoreError("PostgreSQL URL has a bad port '" + port + "'");
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) throw StoreError("PostgreSQL URL names no host (postgresql://user@host:port/dbname)");

  PostgresTarget t;
  add(t.conninfo, "host", host);
  add(t.conninfo, "port", port);
  add(t.conninfo, "dbname", dbname);
  if (!user.empty()) add(t.conninfo, "user", user);
  if (!password.empty()) add(t.conninfo, "password", password);
  // Parameters an operator may need; anything else is refused rather than silently dropped.
  static const std::set<std::string> allowed = {
      "sslmode",          "sslrootcert",         "sslcert", "sslkey", "connect_timeout",
      "application_name", "target_session_attrs"};
  bool timeout_given = false;
  std::size_t pos = 0;
  while (pos < query.size()) {
    auto amp = query.find('&', pos);
    if (amp == std::string::npos) amp = query.size();
    const std::string pair = query.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const std::string key = pair.substr(0, eq);
    if (!allowed.count(key))
      throw StoreError("PostgreSQL URL parameter '" + key +
                       "' is not supported (use one of sslmode, sslrootcert, "
                       "sslcert, sslkey, connect_timeout, application_name, target_session_attrs)");
    add(t.conninfo, key, eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1), "parameters"));
    timeout_given = timeout_given || key == "connect_timeout";
  }
  // An unreachable server fails in seconds instead of hanging start-up.
  if (!timeout_given) add(t.conninfo, "connect_timeout", "10");
  t.label = "PostgreSQL database " + host + ":" + port + "/" + dbname;
  t.password = password;
  return t;
}

}  // namespace plugboard::store

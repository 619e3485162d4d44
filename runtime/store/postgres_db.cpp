// Opening a PostgreSQL database through Poco's connector. Everything else is the
// dialect-neutral Db (sql_db.hpp).
#include "store/postgres_url.hpp"
#include "store/sql_db.hpp"

#include <Poco/Data/PostgreSQL/Connector.h>

#include <mutex>

namespace plugboard::store {

using namespace Poco::Data::Keywords;

namespace {

class PostgresPool : public Poco::Data::SessionPool {
 public:
  PostgresPool(const std::string& conninfo, int max_sessions)
      : Poco::Data::SessionPool(Poco::Data::PostgreSQL::Connector::KEY, conninfo, 1, max_sessions, 60) {}

 protected:
  // libpq prints notices (e.g. "relation already exists, skipping") on stderr, outside the
  // log: keep only warnings and errors, which reach us as exceptions anyway.
  void customizeSession(Poco::Data::Session& session) override {
    session << "SET client_min_messages TO WARNING", now;
  }
};

}  // namespace

std::unique_ptr<Db> open_postgres_db(const std::string& url, int max_sessions) {
  if (max_sessions < 1 || max_sessions > Db::kMaxSessions)
    throw StoreError("PostgreSQL pool size must be between 1 and " + std::to_string(Db::kMaxSessions));
  static std::once_flag once;
  std::call_once(once, [] { Poco::Data::PostgreSQL::Connector::registerConnector(); });
  const PostgresTarget target = parse_postgres_url(url);
  auto pool = std::make_unique<PostgresPool>(target.conninfo, max_sessions);
  auto db =
      std::make_unique<Db>(Dialect::postgresql, std::move(pool), max_sessions, target.label, target.password);
  // Connect now, so a wrong host or password stops start-up with a clear message.
  db->run("cannot open " + target.label, [](Poco::Data::Session& s) {
    Poco::Int64 one = 0;
    s << "SELECT 1", into(one), now;
  });
  return db;
}

}  // namespace plugboard::store

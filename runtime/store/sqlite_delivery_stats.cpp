// Delivery counts for /metrics (outbox depth and outcomes), read at scrape time.
#include "store/sqlite_event_repositories.hpp"
#include "store/sqlite_rows.hpp"

namespace plugboard::store {

using Poco::Data::Session;
using Poco::Data::Statement;

std::vector<std::pair<std::string, std::int64_t>> SqliteDeliveryRepository::count_by_status() {
  return db_.run("counting webhook deliveries", [&](Session& s) {
    Statement st(s);
    st << "SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status ORDER BY status";
    return select_rows(st, [](const Poco::Data::RecordSet& rs, std::size_t row) {
      return std::pair{text(rs, "status", row), integer(rs, "n", row)};
    });
  });
}

}  // namespace plugboard::store

// Delivery counts for /metrics (outbox depth and outcomes), read at scrape time.
#include "store/sql_event_repositories.hpp"
#include "store/sql_rows.hpp"

namespace plugboard::store {

using Poco::Data::Session;
using Poco::Data::Statement;

std::vector<std::pair<std::string, std::int64_t>> SqlDeliveryRepository::count_by_status() {
  return db_.run("counting webhook deliveries", [&](Session& s) {
    Statement st(s);
    st << db_.sql("SELECT status, COUNT(*) AS n FROM webhook_deliveries GROUP BY status ORDER BY status");
    return select_rows(st, [](const Poco::Data::RecordSet& rs, std::size_t row) {
      return std::pair{text(rs, "status", row), integer(rs, "n", row)};
    });
  });
}

}  // namespace plugboard::store

// seed 000's usage statistics: per integration (provider), executions over a date range.
#include "http/request_parsing.hpp"
#include "http/router.hpp"
#include "http/services.hpp"

namespace plugboard::http {

void add_usage_routes(Router& r, Services& s) {
  // ?integration_id=&start_date=&end_date= (ISO 8601 or YYYY-MM-DD; default: everything).
  r.add("GET", "/api/v2/usage", Access::read, [&s](Exchange& ex) {
    const auto since = date_bound_query(ex, "start_date", false).value_or("0000-01-01T00:00:00Z");
    const auto until = date_bound_query(ex, "end_date", true).value_or("9999-12-31T23:59:59Z");
    if (since > until) throw ServiceError::invalid("end_date", "end_date must not be before start_date");
    auto provider = ex.query("integration_id");
    if (provider && provider->empty()) provider.reset();
    ex.send_json(200, s.executions.usage(*ex.principal, since, until, provider));
  });
}

}  // namespace plugboard::http

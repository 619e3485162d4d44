// The execution log (seed 003's getLogs): newest first, filtered, a cursor page at a time.
// Admins only: seed 003 gives viewing logs to team admins.
#include "http/request_parsing.hpp"
#include "http/router.hpp"
#include "http/services.hpp"

#include <charconv>

namespace plugboard::http {
namespace {

namespace json = boost::json;

std::int64_t limit_from_query(const Exchange& ex) {
  auto text = ex.query("limit");
  if (!text) return 20;  // seed 003's default
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || ptr != text->data() + text->size())
    throw ServiceError::invalid("limit", "limit must be an integer from 1 to 100");
  return n;  // the range is checked by the service
}

}  // namespace

void add_execution_routes(Router& r, Services& s) {
  // ?action=&status=&connection_id=&integration_id=&provider=&event_id=&start_date=&end_date=
  // &cursor=&limit=
  r.add("GET", "/api/v2/executions", Access::admin, [&s](Exchange& ex) {
    execute::ExecutionQuery q;
    q.action = ex.query("action");
    q.status = ex.query("status");
    q.connection_id = ex.query("connection_id");
    q.integration = ex.query("integration_id");
    q.provider = ex.query("provider");
    q.event_id = ex.query("event_id");
    q.since = date_bound_query(ex, "start_date", false);
    q.until = date_bound_query(ex, "end_date", true);
    if (q.since && q.until && *q.since > *q.until)
      throw ServiceError::invalid("end_date", "end_date must not be before start_date");
    q.cursor = ex.query("cursor");
    q.limit = limit_from_query(ex);
    auto page = s.executions.list(*ex.principal, q);
    json::array list;
    for (const auto& e : page.executions) list.push_back(execute::ExecutionQueries::render(e));
    ex.send_json(200, json::object{{"executions", std::move(list)},
                                   {"next_cursor",
                                    page.next_cursor ? json::value(*page.next_cursor) : json::value(nullptr)},
                                   {"limit", q.limit}});
  });

  r.add("GET", "/api/v2/executions/{id}", Access::admin, [&s](Exchange& ex) {
    auto e = s.executions.get(*ex.principal, ex.param("id"));
    if (!e) throw ServiceError::not_found("execution " + ex.param("id"));
    ex.send_json(200, execute::ExecutionQueries::render(*e));
  });
}

}  // namespace plugboard::http

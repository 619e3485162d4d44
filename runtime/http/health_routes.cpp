// Health at three depths. /healthz: the process serves (liveness; no key, no database).
// /readyz: this node can do its work (database reachable, plugins loaded), for load balancers.
// /api/v2/health: seed 000's per-integration health, computed from recent executions.
#include "http/request_parsing.hpp"
#include "http/router.hpp"
#include "http/services.hpp"

#include <charconv>

namespace plugboard::http {
namespace {

// ?window_minutes= (1..10080, default 60): how far back /api/v2/health looks.
std::chrono::minutes window_from_query(const Exchange& ex) {
  auto text = ex.query("window_minutes");
  if (!text) return std::chrono::minutes(60);
  long long n = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (ec != std::errc() || ptr != text->data() + text->size() || n < 1 || n > 10080)
    throw ServiceError::invalid("window_minutes",
                                "window_minutes must be an integer from 1 to 10080 (a week)");
  return std::chrono::minutes(n);
}

}  // namespace

void add_health_routes(Router& r, Services& s) {
  r.add("GET", "/healthz", Access::open, [&s](Exchange& ex) {
    auto registry = s.registry.get();
    ex.send_json(200, boost::json::object{{"status", "ok"},
                                          {"plugins_loaded", registry->plugins().size()},
                                          {"plugins_failed", registry->failures().size()}});
  });

  r.add("GET", "/readyz", Access::open, [&s](Exchange& ex) {
    const auto problems = s.readiness_problems();
    boost::json::array list;
    for (const auto& p : problems) list.emplace_back(p);
    ex.send_json(
        problems.empty() ? 200 : 503,
        boost::json::object{{"status", problems.empty() ? "ready" : "not_ready"}, {"problems", list}});
  });

  // Members may look (seed 003: viewing integrations needs the member role, i.e. read).
  r.add("GET", "/api/v2/health", Access::read,
        [&s](Exchange& ex) { ex.send_json(200, s.executions.health(*ex.principal, window_from_query(ex))); });
}

}  // namespace plugboard::http

// Liveness for load balancers and supervisors: no key, no database round trip.
#include "http/router.hpp"
#include "http/services.hpp"

namespace plugboard::http {

void add_health_routes(Router& r, Services& s) {
  r.add("GET", "/healthz", Access::open, [&s](Exchange& ex) {
    auto registry = s.registry.get();
    ex.send_json(200, boost::json::object{{"status", "ok"},
                                          {"plugins_loaded", registry->plugins().size()},
                                          {"plugins_failed", registry->failures().size()}});
  });
}

}  // namespace plugboard::http

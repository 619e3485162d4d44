// GET /metrics in Prometheus' text format. Open like /healthz, so a scraper needs no key: it
// shows counts and timings by route template, provider and action, never ids or payloads.
// Keep the server on a private address (see docs/operations.md).
#include "http/router.hpp"
#include "http/services.hpp"

namespace plugboard::http {

void add_metrics_routes(Router& r, Services& s) {
  r.add("GET", "/metrics", Access::open, [&s](Exchange& ex) {
    ex.send_text(200, "text/plain; version=0.0.4; charset=utf-8", s.metrics.render());
  });
}

}  // namespace plugboard::http

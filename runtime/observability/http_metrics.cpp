#include "observability/http_metrics.hpp"

namespace plugboard::observability {

HttpMetrics::HttpMetrics(std::vector<RouteLabel> routes) {
  routes.push_back({"", "unmatched"});
  for (auto& r : routes) {
    slots_.push_back(std::make_unique<Slot>());
    slots_.back()->label = std::move(r);
  }
}

HttpMetrics::Slot& HttpMetrics::slot(std::size_t route) {
  return *slots_[route < slots_.size() - 1 ? route : slots_.size() - 1];
}

const HttpMetrics::Slot& HttpMetrics::slot(std::size_t route) const {
  return *slots_[route < slots_.size() - 1 ? route : slots_.size() - 1];
}

void HttpMetrics::observe(std::size_t route, int status, std::chrono::microseconds elapsed) {
  Slot& s = slot(route);
  s.latency.observe(elapsed);
  for (auto& sc : s.statuses) {
    int seen = sc.status.load(std::memory_order_acquire);
    if (seen == 0) {
      // Claim the free entry; if another thread claimed it first, it may have claimed it for
      // this very status.
      if (sc.status.compare_exchange_strong(seen, status, std::memory_order_acq_rel)) seen = status;
    }
    if (seen == status) {
      sc.count.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  s.other.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t HttpMetrics::requests(std::size_t route, int status) const {
  for (const auto& sc : slot(route).statuses)
    if (sc.status.load(std::memory_order_acquire) == status) return sc.count.load(std::memory_order_relaxed);
  return 0;
}

void HttpMetrics::render(std::string& out) const {
  append_header(out, "plugboard_http_requests_total", "HTTP requests answered, by route template and status.",
                "counter");
  for (const auto& s : slots_) {
    const auto& l = s->label;
    for (const auto& sc : s->statuses) {
      const int status = sc.status.load(std::memory_order_acquire);
      if (status == 0) break;
      const std::string code = std::to_string(status);
      append_sample(out, "plugboard_http_requests_total",
                    {{"method", l.method}, {"route", l.route}, {"status", code}},
                    sc.count.load(std::memory_order_relaxed));
    }
    if (const auto other = s->other.load(std::memory_order_relaxed); other != 0)
      append_sample(out, "plugboard_http_requests_total",
                    {{"method", l.method}, {"route", l.route}, {"status", "other"}}, other);
  }
  append_header(out, "plugboard_http_request_duration_seconds",
                "Time from reading the request to answering it, by route template.", "histogram");
  for (const auto& s : slots_)
    if (s->latency.count() != 0)
      s->latency.render(out, "plugboard_http_request_duration_seconds",
                        {{"method", s->label.method}, {"route", s->label.route}});
}

}  // namespace plugboard::observability

#include "observability/metrics.hpp"

namespace plugboard::observability {

void Metrics::set_routes(std::vector<HttpMetrics::RouteLabel> routes) {
  http_ = std::make_unique<HttpMetrics>(std::move(routes));
}

void Metrics::add_gauge(Gauge g) {
  std::lock_guard lock(gauges_mutex_);
  gauges_.push_back(std::move(g));
}

std::string Metrics::render() const {
  std::string out;
  out.reserve(16384);
  if (http_) http_->render(out);
  executions_.render(out);
  std::lock_guard lock(gauges_mutex_);
  for (const auto& g : gauges_) {
    std::vector<Gauge::Sample> samples;
    try {
      samples = g.read();
    } catch (const std::exception& e) {
      // A gauge whose source failed (the database is down) is left out rather than shown as 0.
      std::string why = e.what();
      for (char& ch : why)
        if (ch == '\n') ch = ' ';
      out += "# " + g.name + " unavailable: " + why + "\n";
      continue;
    }
    append_header(out, g.name, g.help, "gauge");
    for (const auto& s : samples) {
      std::vector<Label> labels;
      labels.reserve(s.labels.size());
      for (const auto& [k, v] : s.labels) labels.emplace_back(k, v);
      append_sample(out, g.name, labels, format_number(s.value));
    }
  }
  return out;
}

}  // namespace plugboard::observability

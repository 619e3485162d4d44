// Everything /metrics shows: request metrics (set up once the routes are known), execution
// metrics, and gauges read at scrape time from whoever owns the number (plugins loaded, the
// webhook outbox). Rendered by hand in Prometheus' text format.
#pragma once

#include "observability/execution_metrics.hpp"
#include "observability/http_metrics.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace plugboard::observability {

// One gauge family: its samples are computed when scraped.
struct Gauge {
  struct Sample {
    std::vector<std::pair<std::string, std::string>> labels;
    double value = 0;
  };
  std::string name;
  std::string help;
  std::function<std::vector<Sample>()> read;  // may throw: the gauge is then left out, and logged
};

class Metrics {
 public:
  // Called once, before serving, with the router's routes in order.
  void set_routes(std::vector<HttpMetrics::RouteLabel> routes);
  // Null before set_routes().
  HttpMetrics* http() { return http_.get(); }
  ExecutionMetrics& executions() { return executions_; }
  void add_gauge(Gauge g);

  std::string render() const;

 private:
  std::unique_ptr<HttpMetrics> http_;
  ExecutionMetrics executions_;
  mutable std::mutex gauges_mutex_;
  std::vector<Gauge> gauges_;
};

}  // namespace plugboard::observability

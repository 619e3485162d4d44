// Requests and latency per route. Routes are fixed at start-up, so each gets a slot by index
// and the request path only does relaxed atomic adds: no lock, no map lookup, no allocation.
// Labels are the route's template ("/api/v2/connections/{id}"), never the raw path, so a
// client cannot grow the series count by inventing paths.
#pragma once

#include "observability/histogram.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace plugboard::observability {

class HttpMetrics {
 public:
  struct RouteLabel {
    std::string method;
    std::string route;  // the template
  };
  // One slot per route, in the router's order; requests that match none share one more slot.
  explicit HttpMetrics(std::vector<RouteLabel> routes);

  static constexpr std::size_t kUnmatched = static_cast<std::size_t>(-1);
  // `route` is the route's index, or kUnmatched.
  void observe(std::size_t route, int status, std::chrono::microseconds elapsed);

  void render(std::string& out) const;

  std::uint64_t requests(std::size_t route, int status) const;  // tests

 private:
  // Status codes seen on a route, claimed on first use; a route rarely answers with more than
  // a handful. Codes beyond the table are counted under status="other".
  struct StatusCount {
    std::atomic<int> status{0};
    std::atomic<std::uint64_t> count{0};
  };
  struct Slot {
    RouteLabel label;
    std::array<StatusCount, 16> statuses;
    std::atomic<std::uint64_t> other{0};
    Histogram latency;
  };
  Slot& slot(std::size_t route);
  const Slot& slot(std::size_t route) const;

  std::vector<std::unique_ptr<Slot>> slots_;  // the last is the unmatched one
};

}  // namespace plugboard::observability

// A latency histogram with fixed buckets, safe to observe from any thread without a lock:
// each observation is two relaxed atomic adds (its bucket, the sum).
#pragma once

#include "observability/prometheus_text.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace plugboard::observability {

class Histogram {
 public:
  // Upper bounds in seconds, from half a millisecond (the execute budget's scale) to 10 s.
  static constexpr std::array<double, 14> kBounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                  0.1,    0.25,  0.5,    1,     2.5,  5,     10};

  void observe(std::chrono::microseconds elapsed);

  // name_bucket{labels...,le="..."} cumulative counts, then name_sum and name_count.
  // `labels` come first in every sample; the header is the caller's.
  void render(std::string& out, std::string_view name, std::initializer_list<Label> labels) const;

  std::uint64_t count() const;

 private:
  // Per bucket, not cumulative (one add per observation); +Inf is the last slot.
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> sum_us_{0};
};

}  // namespace plugboard::observability

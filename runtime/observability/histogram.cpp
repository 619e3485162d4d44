#include "observability/histogram.hpp"

#include <vector>

namespace plugboard::observability {

void Histogram::observe(std::chrono::microseconds elapsed) {
  const auto us = elapsed.count() < 0 ? 0 : static_cast<std::uint64_t>(elapsed.count());
  const double seconds = static_cast<double>(us) / 1e6;
  std::size_t i = 0;
  while (i < kBounds.size() && seconds > kBounds[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(us, std::memory_order_relaxed);
}

std::uint64_t Histogram::count() const {
  std::uint64_t n = 0;
  for (const auto& b : buckets_) n += b.load(std::memory_order_relaxed);
  return n;
}

void Histogram::render(std::string& out, std::string_view name, std::initializer_list<Label> labels) const {
  const std::string bucket = std::string(name) + "_bucket";
  // Extra label `le` after the caller's; initializer_list cannot grow, so build each list here.
  std::vector<Label> with_le(labels);
  with_le.emplace_back("le", "");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    const std::string le = i < kBounds.size() ? format_number(kBounds[i]) : "+Inf";
    with_le.back().second = le;
    append_sample(out, bucket, with_le, std::to_string(cumulative));
  }
  // No lock: an observation racing the scrape may be in the sum but not yet in its bucket.
  // The count is the +Inf bucket, so the two always agree as Prometheus expects.
  append_sample(out, std::string(name) + "_sum", labels,
                static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6);
  append_sample(out, std::string(name) + "_count", labels, cumulative);
}

}  // namespace plugboard::observability

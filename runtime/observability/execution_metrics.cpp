#include "observability/execution_metrics.hpp"

namespace plugboard::observability {

void ExecutionMetrics::observe(const std::string& provider, const std::string& action,
                               const std::string& status, std::chrono::milliseconds duration) {
  std::lock_guard lock(mutex_);
  ++counts_[{provider, action, status}];
  auto& h = durations_[provider];
  if (!h) h = std::make_unique<Histogram>();
  h->observe(duration);
}

void ExecutionMetrics::dropped(std::uint64_t n) {
  std::lock_guard lock(mutex_);
  dropped_ += n;
}

std::uint64_t ExecutionMetrics::count(const std::string& provider, const std::string& action,
                                      const std::string& status) const {
  std::lock_guard lock(mutex_);
  auto it = counts_.find({provider, action, status});
  return it == counts_.end() ? 0 : it->second;
}

void ExecutionMetrics::render(std::string& out) const {
  std::lock_guard lock(mutex_);
  append_header(out, "plugboard_executions_total",
                "Action executions recorded, by provider, action and status.", "counter");
  for (const auto& [k, n] : counts_) {
    const auto& [provider, action, status] = k;
    append_sample(out, "plugboard_executions_total",
                  {{"provider", provider}, {"action", action}, {"status", status}}, n);
  }
  append_header(out, "plugboard_execution_duration_seconds",
                "Time an execution spent in its plugin, by provider.", "histogram");
  for (const auto& [provider, h] : durations_)
    h->render(out, "plugboard_execution_duration_seconds", {{"provider", provider}});
  append_header(out, "plugboard_execution_log_dropped_total",
                "Execution records dropped because the log's queue was full.", "counter");
  append_sample(out, "plugboard_execution_log_dropped_total", {}, dropped_);
}

}  // namespace plugboard::observability

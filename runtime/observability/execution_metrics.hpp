// Executions by provider, action and status, with their durations per provider. Fed from the
// execution log's writer thread (off the request path), so a mutex and a map are fine here.
#pragma once

#include "observability/histogram.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

namespace plugboard::observability {

class ExecutionMetrics {
 public:
  void observe(const std::string& provider, const std::string& action, const std::string& status,
               std::chrono::milliseconds duration);
  // Records the log had to drop because its queue was full: counted, never silent.
  void dropped(std::uint64_t n);

  void render(std::string& out) const;

  std::uint64_t count(const std::string& provider, const std::string& action,
                      const std::string& status) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> counts_;
  std::map<std::string, std::unique_ptr<Histogram>> durations_;  // by provider
  std::uint64_t dropped_ = 0;
};

}  // namespace plugboard::observability

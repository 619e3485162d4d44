// When a failed webhook delivery is tried again (seed 000's retry_config). Retry n (1-based)
// waits retry_delay, doubled for each earlier retry when exponential_backoff is on, then
// spread by +-20% jitter so that many deliveries failing together (a receiver's outage) do
// not all come back in the same second. After max_retries retries the delivery has failed.
#pragma once

#include <chrono>
#include <cstdint>

namespace plugboard::events {

struct RetryConfig {
  std::int64_t max_retries = 3;
  std::int64_t retry_delay_ms = 60000;
  bool exponential_backoff = true;
};

inline constexpr std::int64_t kMaxRetries = 20;
inline constexpr std::chrono::milliseconds kMaxRetryDelay = std::chrono::hours(24);

// The delay before retry `retry` (1-based), without jitter; capped at kMaxRetryDelay.
std::chrono::milliseconds base_delay(const RetryConfig& c, std::int64_t retry);

// base_delay scaled by 0.8 + 0.4 * unit, for unit in [0, 1).
std::chrono::milliseconds jittered_delay(const RetryConfig& c, std::int64_t retry, double unit);

// A uniform number in [0, 1) for the jitter (not for secrets: a per-thread PRNG).
double jitter_unit();

}  // namespace plugboard::events

// When a plugin host process may be started again after it died: exponential backoff, so a
// plugin that crashes on every call cannot keep the machine busy forking, reset once a
// process has stayed up for a healthy period.
#pragma once

#include <algorithm>
#include <chrono>

namespace plugboard::isolation {

class RestartBackoff {
 public:
  using ms = std::chrono::milliseconds;
  RestartBackoff(ms initial, ms max, ms healthy_after)
      : initial_(initial), max_(std::max(initial, max)), healthy_after_(healthy_after), next_(initial) {}

  // A process that had been up for `uptime` died: how long to wait before the next start.
  ms on_death(ms uptime) {
    if (uptime >= healthy_after_) next_ = initial_;
    const ms wait = next_;
    next_ = std::min(max_, next_ * 2);
    return wait;
  }

 private:
  ms initial_, max_, healthy_after_, next_;
};

}  // namespace plugboard::isolation

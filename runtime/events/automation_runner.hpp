// Automations at work. As an EventConsumer it queues one run per (automation, event) for
// every active automation of the event's workspace that listens for its type, covers its
// project and whose conditions hold; queueing is idempotent, as the dispatcher requires.
// run_due() then claims runs with a lease (any node may) and executes the action through the
// ExecuteService, exactly as an API client would, so every run that reaches the provider is an
// execution in the log carrying the event's id. Failures the provider calls retryable are
// tried again with backoff up to max_attempts; the rest fail at once, recorded on the run and
// as the automation's last_error.
#pragma once

#include "events/event.hpp"
#include "execute/execute_service.hpp"
#include "store/repositories.hpp"

#include <chrono>
#include <functional>
#include <string>

namespace plugboard::events {

struct AutomationOptions {
  int workers = 2;
  int max_attempts = 3;
  std::chrono::seconds retry_delay{10};  // doubled after each failed attempt, or the provider's Retry-After
  std::chrono::seconds lease{300};       // longer than any execute deadline
};

class AutomationRunner final : public EventConsumer {
 public:
  // on_queued runs after runs were queued (the work loop's wake()).
  AutomationRunner(store::Store& store, execute::ExecuteService& execute, AutomationOptions options,
                   std::function<void()> on_queued);
  void enqueue(const Event& e) override;
  // Claims and runs up to `limit` due runs as `node`; returns how many ran.
  std::size_t run_due(const std::string& node, std::size_t limit);

 private:
  void run(store::AutomationRun r, const std::string& node);
  void finish(store::AutomationRun& r, const std::string& node, const std::string& status,
              const std::string& code, const std::string& message);

  store::Store& store_;
  execute::ExecuteService& execute_;
  AutomationOptions options_;
  std::function<void()> on_queued_;
};

}  // namespace plugboard::events

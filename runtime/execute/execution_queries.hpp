// Reading what the execution log recorded: the log itself (cursor pages, filters), and what
// operators derive from it — per-provider health over a recent window and usage over a date
// range (seed 000's /health and /usage). Everything is read from the store, so every node
// behind a load balancer answers the same.
#pragma once

#include "auth/principal.hpp"
#include "execute/integration_service.hpp"
#include "plugins/registry_handle.hpp"
#include "store/repositories.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace plugboard::execute {

struct ExecutionQuery {
  std::optional<std::string> action, status, connection_id, provider, integration, event_id;
  std::optional<std::string> since, until;  // ISO 8601
  std::optional<std::string> cursor;
  std::int64_t limit = 50;
};

struct ExecutionPage {
  std::vector<store::Execution> executions;
  std::optional<std::string> next_cursor;
};

// When a provider counts as degraded or down over the window.
struct HealthThresholds {
  double degraded_error_rate = 0.05;
  double down_error_rate = 0.5;
  std::int64_t slow_response_ms = 2000;  // average above this: degraded
};

class ExecutionQueries {
 public:
  ExecutionQueries(store::Store& store, plugins::RegistryHandle& registry, IntegrationService& integrations,
                   HealthThresholds thresholds = {});

  // The principal's workspace (and projects, when the key is narrowed to some). Throws
  // ServiceError: validation_error for a bad status, limit or cursor, not_found for an
  // unknown integration.
  ExecutionPage list(const auth::Principal& who, const ExecutionQuery& q);
  // nullopt when there is no such record in the principal's workspace and projects.
  std::optional<store::Execution> get(const auth::Principal& who, const std::string& id);

  // seed 000's health: overall_status and, per provider, status healthy/degraded/down,
  // last_check, response_time_ms, error_rate, issues, over the last `window`.
  boost::json::object health(const auth::Principal& who, std::chrono::minutes window);
  // seed 000's usage, per provider over [since, until] (ISO 8601), optionally one provider.
  boost::json::object usage(const auth::Principal& who, const std::string& since, const std::string& until,
                            const std::optional<std::string>& provider);

  // The API view of one record: parameters and result as JSON with secrets redacted (a
  // payload cut at the size cap is shown as {"truncated": true, "logged_bytes": n}).
  static boost::json::object render(const store::Execution& e);

 private:
  store::Store& store_;
  plugins::RegistryHandle& registry_;
  IntegrationService& integrations_;
  HealthThresholds thresholds_;
};

}  // namespace plugboard::execute

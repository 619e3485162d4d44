// What the HTTP handlers may call: one service per concern, never the store directly.
#pragma once

#include "auth/api_key_service.hpp"
#include "auth/audit_service.hpp"
#include "auth/rate_limiter.hpp"
#include "auth/tenancy_service.hpp"
#include "events/automation_service.hpp"
#include "events/event_service.hpp"
#include "events/trigger_service.hpp"
#include "events/webhook_service.hpp"
#include "execute/connection_service.hpp"
#include "execute/execute_service.hpp"
#include "execute/execution_queries.hpp"
#include "execute/oauth_service.hpp"
#include "observability/metrics.hpp"
#include "plugins/registry_handle.hpp"

#include <functional>

namespace plugboard::http {

struct Services {
  plugins::RegistryHandle& registry;
  auth::ApiKeyService& keys;
  auth::TenancyService& tenancy;
  execute::IntegrationService& integrations;
  execute::ConnectionService& connections;
  execute::ExecuteService& execute;
  auth::AuditService& audit;
  execute::TokenManager& tokens;
  execute::OAuthService& oauth;
  events::EventService& events;
  events::WebhookService& webhooks;
  events::TriggerService& triggers;
  std::function<void()> trigger_due;  // wakes the trigger scheduler
  events::AutomationService& automations;
  auth::RateLimiter& limits;
  execute::ExecutionQueries& executions;  // the execution log, health and usage
  observability::Metrics& metrics;
  // What keeps this node from serving (database unreachable, no plugins); empty when ready.
  std::function<std::vector<std::string>()> readiness_problems;
};

class Router;

// Each resource's routes, one file each.
void add_catalog_routes(Router& r, Services& s);
void add_execute_routes(Router& r, Services& s);
void add_tenancy_routes(Router& r, Services& s);
void add_api_key_routes(Router& r, Services& s);
void add_connection_routes(Router& r, Services& s);
void add_integration_routes(Router& r, Services& s);
void add_oauth_routes(Router& r, Services& s);
void add_health_routes(Router& r, Services& s);
void add_audit_routes(Router& r, Services& s);
void add_event_routes(Router& r, Services& s);
void add_webhook_routes(Router& r, Services& s);
void add_trigger_routes(Router& r, Services& s);
void add_automation_routes(Router& r, Services& s);
void add_execution_routes(Router& r, Services& s);
void add_usage_routes(Router& r, Services& s);
void add_metrics_routes(Router& r, Services& s);
void add_openapi_routes(Router& r, Services& s);

}  // namespace plugboard::http

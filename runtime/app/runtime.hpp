// The wired process: store, vault, plugins, services and, for `serve`, the HTTP server.
// Built in dependency order and torn down in reverse, so the execution log is flushed
// before the store closes and no plugin is unloaded while a request still runs in it.
#pragma once

#include "app/change_watcher.hpp"
#include "app/config.hpp"
#include "auth/api_key_service.hpp"
#include "auth/audit_service.hpp"
#include "auth/rate_limiter.hpp"
#include "auth/tenancy_service.hpp"
#include "events/automation_runner.hpp"
#include "events/automation_service.hpp"
#include "events/delivery_worker.hpp"
#include "events/dispatcher.hpp"
#include "events/due_work_loop.hpp"
#include "events/event_service.hpp"
#include "events/retention.hpp"
#include "events/trigger_service.hpp"
#include "events/webhook_consumer.hpp"
#include "events/webhook_sender.hpp"
#include "events/webhook_service.hpp"
#include "execute/connection_service.hpp"
#include "execute/execute_service.hpp"
#include "execute/execution_log.hpp"
#include "execute/execution_queries.hpp"
#include "execute/execution_retention.hpp"
#include "execute/oauth_service.hpp"
#include "http/server.hpp"
#include "net/http_client.hpp"
#include "observability/metrics.hpp"
#include "plugins/registry_handle.hpp"
#include "store/repositories.hpp"
#include "vault/vault.hpp"

#include <memory>

namespace plugboard::app {

class Runtime {
 public:
  explicit Runtime(Config config);
  ~Runtime();

  // Loads every plugin in the plugins directory (again), swapping the registry as a whole.
  void load_plugins();
  // Starts the HTTP server; returns the port it listens on.
  std::uint16_t serve();
  // HTTPS: re-reads the certificate and key for new connections; a pair that cannot be used
  // is logged and the current one kept.
  void reload_tls();
  void stop();

  const Config& config() const { return config_; }
  auth::TenancyService& tenancy() { return *tenancy_; }
  auth::ApiKeyService& keys() { return *keys_; }
  const plugins::RegistryHandle& registry() const { return registry_; }
  // The routes the server answers, once serve() has built it; tests hold /openapi.json to it.
  const http::Router* router() const { return server_ ? &server_->router() : nullptr; }
  // Where producers (provider triggers) publish events.
  events::EventSink& event_sink() { return *events_; }

 private:
  // Readiness for /readyz: what keeps this node from serving, empty when nothing does.
  std::vector<std::string> readiness_problems();
  void add_gauges();
  void watch_changes();

  Config config_;
  observability::Metrics metrics_;  // first in, last out: every component may report to it
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<vault::Vault> vault_;
  plugins::RegistryHandle registry_;
  std::unique_ptr<auth::TenancyService> tenancy_;
  std::unique_ptr<auth::ApiKeyService> keys_;
  std::unique_ptr<auth::AuditService> audit_;
  std::unique_ptr<net::HttpClient> http_client_;
  std::unique_ptr<execute::IntegrationService> integrations_;
  std::unique_ptr<execute::ConnectionService> connections_;
  std::unique_ptr<execute::ExecutionLog> log_;
  std::unique_ptr<execute::ExecutionRetention> execution_retention_;
  std::unique_ptr<execute::ExecutionQueries> execution_queries_;
  std::unique_ptr<auth::RateLimiter> limiter_;
  std::unique_ptr<auth::oauth2::StateService> states_;
  std::unique_ptr<execute::TokenManager> tokens_;
  std::unique_ptr<execute::OAuthService> oauth_;
  std::unique_ptr<execute::ExecuteService> execute_;
  // Events: stored by events_, handed by dispatcher_ to every consumer (webhook_consumer_
  // queues deliveries), delivered by deliveries_. Threads start in serve() only: CLI
  // commands build a Runtime too.
  std::unique_ptr<events::WebhookSender> webhook_sender_;
  std::unique_ptr<events::WebhookService> webhooks_;
  std::unique_ptr<events::DeliveryWorker> deliveries_;
  std::unique_ptr<events::WebhookConsumer> webhook_consumer_;
  std::unique_ptr<events::Dispatcher> dispatcher_;
  std::unique_ptr<events::EventService> events_;
  std::unique_ptr<events::RetentionTask> retention_;  // prunes old events and deliveries
  // Provider triggers publish into events_; trigger_loop_ runs their polls and renewals.
  std::unique_ptr<events::TriggerService> triggers_;
  std::unique_ptr<events::DueWorkLoop> trigger_loop_;
  // Automations: automation_runner_ is an event consumer queueing runs, which
  // automation_loop_ executes.
  std::unique_ptr<events::AutomationService> automations_;
  std::unique_ptr<events::AutomationRunner> automation_runner_;
  std::unique_ptr<events::DueWorkLoop> automation_loop_;
  // Names this process as the holder of leases: unique per process, readable when debugging.
  std::string node_id_;
  // Drops cache entries other nodes changed (auth/change_feed.hpp); started in serve().
  std::unique_ptr<ChangeWatcher> change_watcher_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace plugboard::app

#include "app/runtime.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "app/server_files.hpp"
#include "auth/change_feed.hpp"
#include "auth/shared_rate_limiter.hpp"
#include "execute/call.hpp"
#include "http/listen_socket.hpp"
#include "isolation/process_plugin.hpp"
#include "plugins/loader.hpp"
#include "store/open_store.hpp"
#include "vault/key_ring.hpp"
#include "vault/random.hpp"

#include <Poco/Environment.h>
#include <unistd.h>
#include <map>

#include <spdlog/spdlog.h>

namespace plugboard::app {
namespace {

std::string derive_key(const std::string& master, std::string_view purpose) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), master.data(), static_cast<int>(master.size()),
       reinterpret_cast<const unsigned char*>(purpose.data()), purpose.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace

Runtime::Runtime(Config config) : config_(std::move(config)) {
  std::filesystem::create_directories(config_.data_dir);
  store_ = store::open_store(config_.database_url, config_.database_pool_size);
  const auto ring = vault::load_key_ring(config_.master_key_file, config_.retired_key_files);
  vault_ = std::make_unique<vault::Vault>(ring.vault());
  // OAuth states are signed with a key derived from the master key: every node sharing the
  // master key accepts the others' states, and no further secret needs keeping.
  states_ = std::make_unique<auth::oauth2::StateService>(
      *store_, derive_key(ring.current.bytes(), "plugboard/oauth-state/v1"));
  tenancy_ = std::make_unique<auth::TenancyService>(*store_);
  keys_ = std::make_unique<auth::ApiKeyService>(*store_);
  audit_ = std::make_unique<auth::AuditService>(*store_);
  net::HttpClientOptions http_options;
  http_options.ca_file = config_.outbound_ca_file.string();
  http_client_ = std::make_unique<net::HttpClient>(http_options);
  integrations_ = std::make_unique<execute::IntegrationService>(*store_, *vault_, registry_);
  connections_ =
      std::make_unique<execute::ConnectionService>(*store_, *vault_, *tenancy_, registry_, *integrations_);
  log_ = std::make_unique<execute::ExecutionLog>(*store_, *keys_, &metrics_.executions());
  execution_retention_ = std::make_unique<execute::ExecutionRetention>(*store_, config_.executions);
  execution_queries_ = std::make_unique<execute::ExecutionQueries>(*store_, registry_, *integrations_);
  if (config_.cluster.shared_rate_limits.value_or(false))
    limiter_ = std::make_unique<auth::SharedRateLimiter>(store_->rate_buckets());
  else
    limiter_ = std::make_unique<auth::InMemoryRateLimiter>();
  execute::ExecuteOptions opts;
  opts.default_deadline = config_.deadline;
  opts.max_logged_payload = config_.executions.max_payload_bytes;
  opts.base_urls = config_.provider_base_urls;
  tokens_ = std::make_unique<execute::TokenManager>(*connections_, *integrations_, *http_client_);
  execute_ = std::make_unique<execute::ExecuteService>(registry_, *tenancy_, *connections_, *log_,
                                                       *http_client_, opts, tokens_.get());
  oauth_ = std::make_unique<execute::OAuthService>(*states_, *integrations_, *connections_, *tenancy_,
                                                   *tokens_, *http_client_);
  webhook_sender_ = std::make_unique<events::WebhookSender>(*http_client_, config_.webhooks);
  webhooks_ = std::make_unique<events::WebhookService>(*store_, *vault_, *tenancy_, *webhook_sender_);
  node_id_ = Poco::Environment::nodeName() + ":" + std::to_string(::getpid()) + ":" + vault::random_hex(3);
  deliveries_ = std::make_unique<events::DeliveryWorker>(*store_, *webhooks_, *webhook_sender_,
                                                         config_.webhooks, node_id_);
  webhooks_->set_on_queued([this] { deliveries_->wake(); });
  webhook_consumer_ = std::make_unique<events::WebhookConsumer>(*store_, [this] { deliveries_->wake(); });
  automations_ = std::make_unique<events::AutomationService>(*store_, registry_, *connections_);
  automation_runner_ = std::make_unique<events::AutomationRunner>(*store_, *execute_, config_.automations,
                                                                  [this] { automation_loop_->wake(); });
  automation_loop_ = std::make_unique<events::DueWorkLoop>(
      "automation runs", [this] { return automation_runner_->run_due(node_id_, 1); },
      config_.automations.workers);
  dispatcher_ = std::make_unique<events::Dispatcher>(*store_);
  // Every EventConsumer is added here, before serve() starts the dispatcher.
  dispatcher_->add_consumer(*webhook_consumer_);
  dispatcher_->add_consumer(*automation_runner_);
  events_ = std::make_unique<events::EventService>(*store_, *tenancy_, [this] { dispatcher_->wake(); });
  retention_ = std::make_unique<events::RetentionTask>(*store_, config_.retention);
  triggers_ = std::make_unique<events::TriggerService>(*store_, *vault_, registry_, *connections_, *execute_,
                                                       *events_, config_.triggers);
  trigger_loop_ = std::make_unique<events::DueWorkLoop>(
      "trigger scheduler", [this] { return triggers_->run_due(node_id_, 1); }, config_.triggers.workers);
  watch_changes();
  add_gauges();
}

void Runtime::watch_changes() {
  change_watcher_ = std::make_unique<ChangeWatcher>(store_->change_feed(),
                                                    ChangeWatcherOptions{config_.cluster.change_poll});
  namespace topics = auth::topics;
  change_watcher_->on(topics::kApiKey, [this](const std::string& id) { keys_->forget_key(id); });
  change_watcher_->on(topics::kConnection, [this](const std::string& id) { connections_->invalidate(id); });
  change_watcher_->on(topics::kIntegration, [this](const std::string&) { integrations_->invalidate(); });
  change_watcher_->on(topics::kProject, [this](const std::string& id) { tenancy_->forget_project(id); });
  change_watcher_->on_reset([this] {
    keys_->forget_all();
    connections_->invalidate_all();
    integrations_->invalidate();
    tenancy_->forget_all_projects();
  });
}

void Runtime::add_gauges() {
  using observability::Gauge;
  metrics_.add_gauge(
      {"plugboard_plugins_loaded", "Plugins loaded and serving.", [this] {
         return std::vector<Gauge::Sample>{{{}, static_cast<double>(registry_.get()->plugins().size())}};
       }});
  metrics_.add_gauge(
      {"plugboard_plugin_load_failures", "Plugins skipped at the last load, by provider.", [this] {
         std::vector<Gauge::Sample> out;
         std::map<std::string, double> by_provider;
         for (const auto& f : registry_.get()->failures())
           by_provider[f.provider.empty() ? f.manifest_file.filename().string() : f.provider] += 1;
         for (const auto& [p, n] : by_provider) out.push_back({{{"provider", p}}, n});
         return out;
       }});
  metrics_.add_gauge({"plugboard_plugin_process_restarts",
                      "Plugin processes (isolation: process) started again after one died, by provider.", [] {
                        std::vector<Gauge::Sample> out;
                        for (const auto& [p, n] : isolation::restart_counts())
                          out.push_back({{{"provider", p}}, static_cast<double>(n)});
                        return out;
                      }});
  metrics_.add_gauge(
      {"plugboard_webhook_deliveries", "Webhook deliveries in the database, by status.", [this] {
         std::vector<Gauge::Sample> out;
         for (const auto& [status, n] : store_->deliveries().count_by_status())
           out.push_back({{{"status", status}}, static_cast<double>(n)});
         return out;
       }});
  metrics_.add_gauge({"plugboard_webhook_outbox_depth",
                      "Webhook deliveries waiting to be sent (pending or retrying).", [this] {
                        double depth = 0;
                        for (const auto& [status, n] : store_->deliveries().count_by_status())
                          if (status == "pending" || status == "retrying") depth += static_cast<double>(n);
                        return std::vector<Gauge::Sample>{{{}, depth}};
                      }});
}

std::vector<std::string> Runtime::readiness_problems() {
  std::vector<std::string> problems;
  try {
    store_->schema_version();
  } catch (const std::exception& e) {
    problems.push_back(std::string("database: ") + e.what());
  }
  if (registry_.get()->plugins().empty()) problems.emplace_back("plugins: none loaded");
  return problems;
}

Runtime::~Runtime() { stop(); }

void Runtime::load_plugins() {
  // Private copies of the libraries (see Loader): a reload then really runs the new code, while
  // requests already running keep the old registry, and its libraries, until they finish.
  const auto copies = config_.data_dir / "plugin-libs";
  if (registry_.generation() == 0) {  // copies are unlinked once open; these are from a crash
    std::error_code ec;
    std::filesystem::remove_all(copies, ec);
  }
  plugins::Loader loader(execute::host_api(), copies);
  loader.isolate(config_.isolated_plugins, [this](plugins::Manifest m) {
    return isolation::open_isolated(std::move(m), execute::host_api(), config_.isolation);
  });
  auto registry = std::make_shared<const plugins::Registry>(loader.load_directory(config_.plugins_dir));
  spdlog::info("{} plugin(s) loaded from {}, {} skipped", registry->plugins().size(),
               config_.plugins_dir.string(), registry->failures().size());
  registry_.set(registry);
  try {
    write_plugin_status(config_.data_dir, registry_.generation(), *registry);
  } catch (const std::exception& e) {
    spdlog::warn("cannot write the plugin status file: {}", e.what());
  }
}

void Runtime::reload_tls() {
  if (!server_ || !config_.server.tls()) return;
  try {
    server_->reload_tls();
  } catch (const http::TlsConfigError& e) {
    spdlog::error("TLS reload failed, still serving the previous certificate: {}", e.what());
  }
}

std::uint16_t Runtime::serve() {
  http::Services services{registry_,
                          *keys_,
                          *tenancy_,
                          *integrations_,
                          *connections_,
                          *execute_,
                          *audit_,
                          *tokens_,
                          *oauth_,
                          *events_,
                          *webhooks_,
                          *triggers_,
                          [this] { trigger_loop_->wake(); },
                          *automations_,
                          *limiter_,
                          *execution_queries_,
                          metrics_,
                          [this] { return readiness_problems(); }};
  // Deliveries left by a previous run (queued, retrying, or leased when it died) resume here.
  change_watcher_->start();
  deliveries_->start();
  automation_loop_->start();
  dispatcher_->start();
  retention_->start();
  execution_retention_->start();
  server_ = std::make_unique<http::Server>(config_.server, services);
  server_->start();
  const std::string base = !config_.public_url.empty()
                               ? config_.public_url
                               : std::string(config_.server.scheme()) + "://" + config_.server.host + ":" +
                                     std::to_string(server_->port());
  triggers_->set_public_url(base);
  trigger_loop_->start();  // after the hook URL is known: renewals hand it to providers
  oauth_->set_callback_url(base + "/api/v2/oauth/callback");
  write_pid_file(config_.data_dir);  // `plugboard plugins reload` finds the server through it
  return server_->port();
}

void Runtime::stop() {
  if (server_) {
    server_->stop();  // in-flight requests are answered first
    server_.reset();
    remove_pid_file(config_.data_dir);
  }
  if (change_watcher_) change_watcher_->stop();
  if (trigger_loop_) trigger_loop_->stop();
  if (dispatcher_) dispatcher_->stop();
  if (automation_loop_) automation_loop_->stop();
  if (deliveries_) deliveries_->stop();
  if (retention_) retention_->stop();
  if (execution_retention_) execution_retention_->stop();
  if (log_) log_->flush();
}

}  // namespace plugboard::app

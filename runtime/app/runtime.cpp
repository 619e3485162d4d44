#include "app/runtime.hpp"

#include "execute/call.hpp"
#include "plugins/loader.hpp"
#include "store/open_store.hpp"

#include <spdlog/spdlog.h>

namespace plugboard::app {

Runtime::Runtime(Config config) : config_(std::move(config)) {
  std::filesystem::create_directories(config_.data_dir);
  store_ = store::open_store(config_.database_url);
  vault_ = std::make_unique<vault::Vault>(vault::MasterKey::load(config_.master_key_file));
  tenancy_ = std::make_unique<auth::TenancyService>(*store_);
  keys_ = std::make_unique<auth::ApiKeyService>(*store_);
  net::HttpClientOptions http_options;
  http_options.ca_file = config_.outbound_ca_file.string();
  http_client_ = std::make_unique<net::HttpClient>(http_options);
  integrations_ = std::make_unique<execute::IntegrationService>(*store_, *vault_, registry_);
  connections_ = std::make_unique<execute::ConnectionService>(*store_, *vault_, *tenancy_, registry_, *integrations_);
  log_ = std::make_unique<execute::ExecutionLog>(*store_, *keys_);
  execute::ExecuteOptions opts;
  opts.default_deadline = config_.deadline;
  opts.base_urls = config_.provider_base_urls;
  execute_ = std::make_unique<execute::ExecuteService>(registry_, *tenancy_, *connections_, *log_,
                                                       *http_client_, opts);
}

Runtime::~Runtime() { stop(); }

void Runtime::load_plugins() {
  plugins::Loader loader(execute::host_api());
  auto registry = std::make_shared<const plugins::Registry>(loader.load_directory(config_.plugins_dir));
  spdlog::info("{} plugin(s) loaded from {}, {} skipped", registry->plugins().size(),
               config_.plugins_dir.string(), registry->failures().size());
  registry_.set(std::move(registry));
}

std::uint16_t Runtime::serve() {
  http::Services services{registry_, *keys_, *tenancy_, *integrations_, *connections_, *execute_};
  server_ = std::make_unique<http::Server>(config_.server, services);
  server_->start();
  return server_->port();
}

void Runtime::stop() {
  if (server_) {
    server_->stop();
    server_.reset();
  }
  if (log_) log_->flush();
}

}  // namespace plugboard::app

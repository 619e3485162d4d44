// The operator's configuration: one YAML file, every setting also reachable through a
// PLUGBOARD_* environment variable (environment wins), with defaults that run as they are.
#pragma once

#include "events/automation_runner.hpp"
#include "events/retention.hpp"
#include "events/trigger_service.hpp"
#include "events/webhook_options.hpp"
#include "execute/execution_retention.hpp"
#include "http/server.hpp"
#include "isolation/isolation_options.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace plugboard::app {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Config {
  http::ServerOptions server;
  std::filesystem::path data_dir = "var";
  std::string database_url;  // default: sqlite://<data_dir>/plugboard.db
  // Database connections per process (database.pool_size), 1..1024.
  int database_pool_size = 8;
  std::filesystem::path plugins_dir = "plugins";
  // plugins.isolation: the providers run out of process (`<id>: process`); the rest run in
  // process. plugins.process: the limits of those processes.
  std::set<std::string> isolated_plugins;
  isolation::IsolationOptions isolation;
  std::filesystem::path master_key_file;  // default: <data_dir>/master.key
  // Keys that only open values sealed before a rotation (vault.retired_key_files). Files named
  // "<master_key_file>.retired-*" beside the key file are found without being listed here.
  std::vector<std::filesystem::path> retired_key_files;
  std::map<std::string, std::string> provider_base_urls;
  std::chrono::milliseconds deadline{30000};
  std::string public_url;  // how browsers and providers reach this server; default http://host:port
  std::filesystem::path outbound_ca_file;  // extra trusted CAs for providers (PEM), beside the system's
  std::string log_level = "info";
  events::WebhookOptions webhooks;          // webhooks.*: delivery threads, timeout, egress policy
  events::TriggerOptions triggers;          // triggers.*: scheduler threads, poll interval floor
  events::AutomationOptions automations;    // automations.*: run threads, attempts, retry delay
  events::RetentionOptions retention;       // retention.*: how long events and webhook deliveries are kept
  execute::ExecutionLogOptions executions;  // executions.*: retention by age, payload cap
  std::string log_format = "text";          // log.format: text, or json (one object per line)

  // cluster.*: several nodes on one database (docs/operations.md, "Scaling out").
  struct Cluster {
    // Rate-limit buckets in the database, shared by every node. Unset in the file: true on
    // PostgreSQL, false on SQLite (load_config decides, so it is always set afterwards).
    std::optional<bool> shared_rate_limits;
    std::chrono::milliseconds change_poll{200};  // how often the change feed is read
  } cluster;
};

// Reads `file` (when given) and applies the environment. Relative paths in the file are taken
// relative to the file's folder; relative paths from the environment to the working directory.
// Throws ConfigError naming the file, line and key.
Config load_config(const std::optional<std::filesystem::path>& file);

}  // namespace plugboard::app

// Plain records stored by the repositories. Times are ISO 8601 UTC strings
// ("2026-01-02T03:04:05Z"); JSON-valued columns are kept as serialized text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace plugboard::store {

struct Workspace {
  std::string id;
  std::string name;
  std::string created_at;
};

struct Project {
  std::string id;
  std::string workspace_id;
  std::string name;
  std::string created_at;
};

struct RateLimit {
  std::int64_t requests_per_hour = 0;
  std::int64_t burst_limit = 0;
};

struct ApiKey {
  std::string id;
  std::string workspace_id;
  std::string name;
  std::string prefix;                     // first characters of the key, safe to show ("pb_3f9a...")
  std::string hash;                       // hex SHA-256 of the whole key; the key itself is never stored
  std::vector<std::string> operations;    // read, write, execute, admin
  std::vector<std::string> integrations;  // empty: all
  std::vector<std::string> projects;      // empty: all projects of the workspace
  std::optional<std::string> expires_at;
  std::optional<RateLimit> rate_limit;
  bool revoked = false;
  std::string created_at;
  std::optional<std::string> last_used;
};

struct Connection {
  std::string id;
  std::string workspace_id;
  std::string project_id;
  std::string provider;        // the plugin's provider id
  std::string integration_id;  // the integration it belongs to (the provider's default for now)
  std::string name;
  std::string auth_type;                          // oauth2, api_key, basic, bearer, custom
  std::string status;                             // connected, pending, disconnected, disabled, error
  std::string configuration_json = "{}";          // non-secret settings
  std::optional<std::string> sealed_credentials;  // Vault::seal output; nullopt: none yet
  std::string created_at;
  std::string updated_at;
};

struct Execution {
  std::string id;
  std::string request_id;
  std::string workspace_id;
  std::string project_id;
  std::string connection_id;
  std::string provider;
  std::string action;
  std::string status;      // success, error
  std::string error_code;  // empty on success
  std::int64_t duration_ms = 0;
  std::string started_at;
  std::string parameters_json;  // capped by the caller
  std::string result_json;      // capped by the caller
};

}  // namespace plugboard::store

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
  std::string auth_type;         // oauth2, api_key, basic, bearer, custom
  std::string status;            // connected, pending, disconnected, disabled, reauthorization_required
  std::string status_reason;     // why, when the status is not one a client chose
  std::string user_json = "{}";  // the user a per-user connection belongs to: {"id","email",...}
  std::string configuration_json = "{}";          // non-secret settings
  std::optional<std::string> sealed_credentials;  // Vault::seal output; nullopt: none yet
  std::string created_at;
  std::string updated_at;
};

// An operator's configured instance of a provider (seed 002). Secrets are sealed by the Vault
// before they get here; headers are sealed as a whole since their values may be secrets.
struct Integration {
  std::string id;
  std::string workspace_id;
  std::string name;
  std::string slug;
  std::string type;  // the provider id
  std::string category;
  std::string description;
  std::string mode = "shared";  // shared, per-user
  std::string auth_type;        // oauth2, api_key, basic, bearer, custom (empty: the provider's first)
  std::string scope;            // OAuth scopes, space-separated
  std::string auth_uri;
  std::string token_uri;
  std::string revocation_uri;
  std::string api_base_uri;
  std::string client_id;
  std::optional<std::string> sealed_client_secret;
  bool basic_token_auth = false;
  std::optional<std::string> sealed_api_key;
  std::string api_key_location;  // header, query
  std::string api_key_name;
  std::string image_url;
  std::optional<std::string> sealed_headers;  // a JSON object of header templates
  std::string data_json = "{}";
  std::string shares_json = "[]";  // [{"principalId","accessLevel"}]
  bool sandbox = false;
  bool is_default = false;          // the provider's zero-configuration integration
  std::optional<std::string> icon;  // base64 of the image bytes
  std::string icon_content_type;
  std::string created_at;
  std::string updated_at;
};

// Failed executions of one integration, grouped by action and error code.
struct ErrorSummary {
  std::string action;
  std::string error_code;
  std::int64_t count = 0;
  std::string last_at;
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
  std::string event_id;         // the event that caused it (automations); empty for API calls
};

// One audited change (seed 001's audit log): who made it (an API key, or the system), what
// was done to which resource, and the changed fields as {field: {old, new}} with secrets
// already redacted by auth::AuditService. Entries are never updated or deleted.
struct AuditEntry {
  std::string id;
  std::int64_t seq = 0;  // assigned by the store on append; orders entries within one second
  std::string workspace_id;
  std::string actor_key_id;   // the API key's id; empty for the system (no key)
  std::string actor_label;    // the key's name and prefix at the time, for display
  std::string action;         // create, update, delete, revoke
  std::string resource_type;  // integration, connection, api_key
  std::string resource_id;
  std::string integration_id;  // the integration the resource is or belongs to; empty if none
  std::string changes_json = "{}";
  std::string request_id;
  std::string created_at;
};

// An automation: when an event of event_type arrives and every condition holds, run an
// action on a connection with parameters built from the event (mappings and templates).
struct Automation {
  std::string id;  // "aut_..."
  std::string workspace_id;
  std::string project_id;  // the connection's
  std::string name;
  std::string description;
  std::string event_type;
  std::string conditions_json = "[]";  // [{"field","operator","value"}]
  std::string connection_id;
  std::string user_id;  // whom the action runs for, on connections of per-user integrations
  std::string action;
  std::string parameters_json = "{}";  // may hold {{field}} templates
  std::string mappings_json = "[]";    // [{"source","target","transform"}]
  bool active = true;
  std::string last_run_at;
  std::string last_status;  // succeeded, failed, or "" before the first run
  std::string last_error;
  std::string created_at;
  std::string updated_at;
};

// One event handed to one automation: queued, then run (and retried) by any node.
struct AutomationRun {
  std::string id;  // "run_..."
  std::string automation_id;
  std::string event_id;
  std::string workspace_id;
  std::string status = "pending";  // pending, retrying, succeeded, failed
  std::int64_t attempts = 0;
  std::string next_attempt_at;
  std::string execution_id;
  std::string error_code;
  std::string error_message;
  std::string leased_by;
  std::string lease_until;
  std::string created_at;
  std::string finished_at;
};

// A subscription to one provider trigger on one connection. For polling triggers next_run_at
// is the next poll; for webhook triggers it is when the provider's registration must be
// renewed ("" when it never expires). While a node works on it, leased_by/lease_until say so.
struct TriggerSubscription {
  std::string id;  // "trg_..."
  std::string workspace_id;
  std::string project_id;
  std::string connection_id;
  std::string provider;
  std::string trigger;  // the trigger's slug
  std::string kind;     // polling, webhook
  std::string name;
  std::int64_t interval_seconds = 0;          // polling: seconds between polls
  std::string config_json = "{}";             // non-secret settings
  std::optional<std::string> sealed_secrets;  // Vault::seal of a JSON object (signing secrets)
  std::string state_json = "null";            // the plugin's cursor or registration
  std::string status = "active";              // active, paused, error
  std::string status_reason;
  std::string next_run_at;
  std::string expires_at;
  std::string last_run_at;
  std::int64_t consecutive_failures = 0;
  std::string leased_by;
  std::string lease_until;
  std::string created_at;
  std::string updated_at;
};

}  // namespace plugboard::store

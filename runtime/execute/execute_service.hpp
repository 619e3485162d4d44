// The execute path: every check of seed 004's table in order, then the plugin, then the
// record. Nothing here touches the database on a warm path: keys, projects, connections and
// credentials come from the services' caches, and the record is queued for a batch write.
#pragma once

#include "auth/principal.hpp"
#include "auth/tenancy_service.hpp"
#include "execute/call.hpp"
#include "execute/connection_service.hpp"
#include "execute/execute_error.hpp"
#include "execute/execution_log.hpp"
#include "execute/token_manager.hpp"
#include "net/http_client.hpp"
#include "plugins/registry_handle.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <string>

namespace plugboard::execute {

struct ExecuteRequest {
  std::string request_id;
  const auth::Principal* principal = nullptr;
  std::string workspace_id;
  std::string project_id;
  std::string connection_id;
  std::string action;
  std::string user_id;   // who the client acts for; required by connections of per-user integrations
  std::string event_id;  // the event an automation ran this for; recorded with the execution
  boost::json::object parameters;
  std::size_t parameters_size_hint = 0;  // the request body's size: serializing reserves it once
};

struct ExecuteResult {
  bool ok = false;
  // The plugin's result as it wrote it, checked to be one JSON value: spliced into the
  // envelope as it is rather than parsed into a tree and serialized again.
  std::string data_json;
  boost::json::value data() const { return boost::json::parse(data_json); }
  ExecuteError error;
  std::string execution_id;      // empty when the request failed before a plugin was chosen
  std::string action_name;       // the action's display name, when known
  std::string integration_name;  // the provider's display name, when known
};

struct ExecuteOptions {
  std::chrono::milliseconds default_deadline{30000};
  std::map<std::string, std::string> base_urls;  // provider id -> base URL override
  std::size_t max_logged_payload = 8192;         // bytes of parameters/result kept per record
};

// What a connection test found: the provider's facts (account, scopes) or why it failed.
struct ConnectionTest {
  bool ok = false;
  std::int64_t response_time_ms = 0;
  boost::json::object details;
  ExecuteError error;
};

enum class TriggerHook { poll, webhook, subscribe, unsubscribe };

// One call of a trigger hook for a subscription (see pb_plugin_api's ABI 1.1 hooks).
struct TriggerCall {
  std::string connection_id;
  std::string request_id;
  TriggerHook hook = TriggerHook::poll;
  std::string request_json;       // webhook: the inbound request as the plugin receives it
  TriggerScope* scope = nullptr;  // required: the subscription; state_set stages into it
};

struct TriggerCallResult {
  bool ok = false;
  boost::json::object out;  // the hook's result object when ok
  ExecuteError error;       // EXECUTION_FAILED carries the plugin's code in details.error_code
};

class ExecuteService {
 public:
  ExecuteService(const plugins::RegistryHandle& registry, auth::TenancyService& tenancy,
                 ConnectionService& connections, ExecutionLog& log, net::HttpClient& http,
                 ExecuteOptions options, TokenManager* tokens = nullptr);

  // Takes the request by value: the parameters are released as soon as they are serialized
  // for the plugin, so a large upload is not held twice.
  ExecuteResult execute(ExecuteRequest req);

  // Runs the plugin's connection test against the provider. Throws ServiceError not_found for
  // a connection the principal cannot see.
  ConnectionTest test_connection(const auth::Principal& who, const std::string& connection_id,
                                 const std::string& request_id);

  // Runs a trigger hook with the subscription's connection (credentials refreshed like an
  // action's). Tenancy is the caller's business: subscriptions were checked when created.
  TriggerCallResult call_trigger(TriggerCall& req);

 private:
  void prepare_call(pb_call& call, const plugins::Manifest& m, const ResolvedConnection& conn,
                    std::string_view request_id) const;
  ExecuteResult invoke(ExecuteRequest& req, const plugins::LoadedPlugin& plugin,
                       const plugins::Action& action, const std::shared_ptr<const ResolvedConnection>& conn);

  const plugins::RegistryHandle& registry_;
  auth::TenancyService& tenancy_;
  ConnectionService& connections_;
  ExecutionLog& log_;
  net::HttpClient& http_;
  ExecuteOptions options_;
  TokenManager* tokens_;
};

}  // namespace plugboard::execute

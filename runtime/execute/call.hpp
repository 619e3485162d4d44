// What the host knows about one invocation while a plugin runs it. A plugin sees it only as
// the opaque pb_call handle; every host service starts from it.
#pragma once

#include "execute/credential_injection.hpp"
#include "net/http_client.hpp"
#include "plugins/manifest.hpp"

#include <plugboard/plugin.h>

#include <boost/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace plugboard::execute {
// Gets new credentials after the provider rejected the current ones (an expired OAuth token),
// and points the call at them. False when there is nothing better to retry with.
class CredentialRefresher {
 public:
  virtual ~CredentialRefresher() = default;
  virtual bool refresh() = 0;
};

// What a trigger hook's call carries besides its connection: the subscription.
struct TriggerScope {
  std::string subscription_id;
  std::string trigger;  // the trigger's slug
  std::string hook_url;
  boost::json::object config;
  boost::json::object secrets;           // decrypted; credentials() adds them to the connection's
  std::string state = "null";            // the stored state, as JSON text
  std::optional<std::string> new_state;  // what state_set staged, committed by the caller
};

// The largest state a subscription keeps: a cursor, not a data store.
inline constexpr std::size_t kMaxTriggerState = 64 * 1024;
}  // namespace plugboard::execute

struct pb_call {
  plugboard::net::HttpClient* http = nullptr;
  const plugboard::plugins::Manifest* manifest = nullptr;
  const boost::json::object* credentials = nullptr;  // decrypted; null when there are none
  const plugboard::execute::Injected* injected = nullptr;
  const boost::json::object* config = nullptr;  // the connection's non-secret configuration
  std::string_view base_url;
  std::string_view request_id;
  std::string_view workspace_id;
  std::string_view project_id;
  std::string_view connection_id;
  std::string_view action;
  bool idempotent = false;
  const plugboard::plugins::AuthType* auth = nullptr;  // the connection's auth type, when known
  plugboard::execute::CredentialRefresher* refresher = nullptr;
  bool refreshed = false;                               // at most one refresh per call
  plugboard::execute::TriggerScope* trigger = nullptr;  // set for trigger hooks only
  std::chrono::steady_clock::time_point deadline;

  // Exactly past the deadline (remaining() rounds down, so it reaches 0 up to 1 ms early).
  bool expired() const { return std::chrono::steady_clock::now() >= deadline; }
  std::chrono::milliseconds remaining() const {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return left.count() > 0 ? left : std::chrono::milliseconds(0);
  }
};

namespace plugboard::execute {

// The host service table handed to every plugin at entry. Lives for the whole process.
const pb_host_api* host_api();

}  // namespace plugboard::execute

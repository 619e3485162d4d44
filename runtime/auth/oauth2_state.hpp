// The OAuth2 `state` parameter: signed, expiring and single-use. What the callback needs
// (PKCE verifier, target connection, redirect URI) stays on the server, in the store's
// oauth_states table; the browser only carries an opaque reference to it:
//
//   <id>.<expiry>.<base64url HMAC-SHA256(key, id "|" expiry)>
//
// id is 128 random bits (base64url), expiry is Unix seconds. The expiry travels in the
// string so a forged or expired state is refused before any database access; the HMAC is
// compared in constant time. consume() then takes the record atomically, so of any number
// of concurrent callbacks with one state exactly one succeeds.
#pragma once

#include "store/repositories.hpp"

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>

namespace plugboard::auth::oauth2 {

struct PendingAuthorization {
  std::string workspace_id, project_id, integration_id, connection_name, redirect_uri, code_verifier,
      created_by_key_id;
  std::string return_to;
};

// Why a state was refused; code() is one of "invalid_state" (malformed, forged, unknown),
// "expired_state" or "used_state". The message never contains the state itself.
class StateError : public std::runtime_error {
 public:
  StateError(std::string code, const std::string& message);
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

class StateService {
 public:
  // signing_key: at least 32 bytes of secret (e.g. derived from the master key).
  StateService(store::Store& store, std::string signing_key,
               std::chrono::seconds ttl = std::chrono::minutes(10));

  // Stores the pending authorization and returns the state to put in the authorize URL.
  // Prunes long-expired states now and then.
  std::string issue(const PendingAuthorization& pending);

  // Checks and uses up a state; throws StateError.
  PendingAuthorization consume(const std::string& state);

  // Removes states that expired more than an hour ago (kept that long so a late callback
  // is told "expired" rather than "invalid"); returns how many.
  std::int64_t prune();

  std::chrono::seconds ttl() const { return ttl_; }

 private:
  std::string sign(const std::string& id, const std::string& expiry) const;

  store::Store& store_;
  std::string key_;
  std::chrono::seconds ttl_;
  std::atomic<std::int64_t> last_prune_{0};
};

}  // namespace plugboard::auth::oauth2

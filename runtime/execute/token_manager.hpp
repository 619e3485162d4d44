// OAuth2 access tokens, kept fresh: refreshed shortly before they expire (from expires_in),
// and again when the provider rejects one (its manifest's expiry signal). One refresh per
// connection at a time: whoever takes the connection's lock re-reads the stored token first,
// so a burst of executions needing a new token costs the provider one refresh, not many.
// A refused refresh (invalid_grant) marks the connection as needing re-authorization and
// its executions then fail at once instead of retrying forever.
#pragma once

#include "auth/oauth2_client.hpp"
#include "execute/connection_service.hpp"
#include "execute/execute_error.hpp"
#include "execute/integration_service.hpp"
#include "net/http_client.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace plugboard::execute {

// A refresh that failed, already in execute's vocabulary (CONNECTION_INACTIVE or EXECUTION_FAILED).
struct TokenRefreshFailure {
  ExecuteError error;
};

class TokenManager {
 public:
  TokenManager(ConnectionService& connections, IntegrationService& integrations, net::HttpClient& http,
               std::chrono::seconds buffer = std::chrono::seconds(60))
      : connections_(connections), integrations_(integrations), http_(http), buffer_(buffer) {}

  // The connection itself when its token is fresh (or it has no OAuth token); otherwise the
  // connection after a refresh. Throws TokenRefreshFailure.
  std::shared_ptr<const ResolvedConnection> ensure_fresh(std::shared_ptr<const ResolvedConnection> conn,
                                                         std::chrono::milliseconds budget);

  // The provider rejected `rejected_access_token`: refresh, unless another call already did.
  // Throws TokenRefreshFailure.
  std::shared_ptr<const ResolvedConnection> after_rejection(const std::string& connection_id,
                                                            const std::string& rejected_access_token,
                                                            std::chrono::milliseconds budget);

  // The OAuth endpoints and client of an integration (client secret decrypted).
  auth::oauth2::Endpoints endpoints(const store::Integration& integration) const;

  // Credentials to store for a token set, keeping `previous`'s refresh token when none came.
  static boost::json::object credentials_from(const auth::oauth2::TokenSet& tokens,
                                              const std::string& grant_type,
                                              const boost::json::object& previous = {});

  // Best effort: revokes a connection's tokens at the integration's revocation endpoint.
  // Returns false (and logs why) when the provider could not be told.
  bool revoke(const ResolvedConnection& conn, std::chrono::milliseconds budget);
  // The same for every connection of an integration (before it is deleted with them).
  void revoke_integration(const std::string& workspace_id, const std::string& integration_id,
                          std::chrono::milliseconds budget);

 private:
  bool needs_refresh(const ResolvedConnection& conn) const;
  std::shared_ptr<std::mutex> lock_for(const std::string& connection_id);
  std::shared_ptr<const ResolvedConnection> refresh(const ResolvedConnection& current,
                                                    std::chrono::milliseconds budget);

  ConnectionService& connections_;
  IntegrationService& integrations_;
  net::HttpClient& http_;
  std::chrono::seconds buffer_;
  std::mutex locks_mutex_;
  std::unordered_map<std::string, std::weak_ptr<std::mutex>> locks_;
};

}  // namespace plugboard::execute

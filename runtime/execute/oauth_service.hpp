// Connecting accounts through OAuth2: the authorization-code flow with PKCE and a signed,
// single-use state (the browser leaves with an authorize URL and comes back to the
// callback), and the client-credentials grant for service accounts. Tokens are sealed with
// the connection; TokenManager keeps them fresh afterwards.
#pragma once

#include "auth/oauth2_state.hpp"
#include "auth/principal.hpp"
#include "execute/connection_service.hpp"
#include "execute/integration_service.hpp"
#include "execute/token_manager.hpp"
#include "net/http_client.hpp"

#include <string>

namespace plugboard::execute {

struct AuthorizationStart {
  std::string url;
  std::string state;
  std::string redirect_uri;
  std::string expires_at;
};

struct AuthorizationRequest {
  std::string integration;  // id or slug
  std::string project_id;
  std::string connection_name;
  std::string redirect_uri;  // empty: this server's own callback
  std::string return_to;     // where the callback sends the browser afterwards; empty: answer JSON
};

class OAuthService {
 public:
  OAuthService(auth::oauth2::StateService& states, IntegrationService& integrations,
               ConnectionService& connections, auth::TenancyService& tenancy, TokenManager& tokens,
               net::HttpClient& http)
      : states_(states),
        integrations_(integrations),
        connections_(connections),
        tenancy_(tenancy),
        tokens_(tokens),
        http_(http) {}

  // The URL the callback is reached at, as registered with the provider's OAuth app.
  void set_callback_url(std::string url) { callback_url_ = std::move(url); }
  const std::string& callback_url() const { return callback_url_; }

  // Throws ServiceError.
  AuthorizationStart start(const auth::Principal& who, const AuthorizationRequest& req);

  // Completes a flow from the provider's redirect: checks the state, exchanges the code,
  // creates the connection with the tokens sealed. Throws ServiceError (validation_error for a
  // bad state, with the state error's code as the field) or auth::oauth2::TokenError.
  struct Completed {
    store::Connection connection;
    std::string return_to;
  };
  Completed complete(const std::string& code, const std::string& state);

  // A connection for a service account: fetches a token with the client-credentials grant.
  store::Connection connect_client_credentials(const std::string& workspace_id,
                                               const std::string& integration, const std::string& project_id,
                                               const std::string& name);

 private:
  auth::oauth2::StateService& states_;
  IntegrationService& integrations_;
  ConnectionService& connections_;
  auth::TenancyService& tenancy_;
  TokenManager& tokens_;
  net::HttpClient& http_;
  std::string callback_url_;
};

}  // namespace plugboard::execute

#include "execute/oauth_service.hpp"

#include "auth/service_error.hpp"
#include "store/iso_time.hpp"

namespace plugboard::execute {
namespace {

constexpr std::chrono::seconds kTokenTimeout{20};

void require_oauth(const store::Integration& i) {
  if (i.auth_type != "oauth2")
    throw ServiceError::invalid(
        "integration", "integration " + i.slug + " does not use OAuth2 (authType " + i.auth_type + ")");
  if (i.client_id.empty())
    throw ServiceError::invalid("clientId", "integration " + i.slug + " has no clientId yet");
  if (i.token_uri.empty())
    throw ServiceError::invalid("tokenUri", "integration " + i.slug + " has no tokenUri");
}

}  // namespace

AuthorizationStart OAuthService::start(const auth::Principal& who, const AuthorizationRequest& req) {
  auto integration = integrations_.get(who.workspace_id, req.integration);
  require_oauth(integration);
  if (integration.auth_uri.empty())
    throw ServiceError::invalid("authUri", "integration " + integration.slug + " has no authUri");
  if (req.project_id.empty()) throw ServiceError::invalid("project_id", "project_id is required");
  if (!tenancy_.project(who.workspace_id, req.project_id) || !who.allows_project(req.project_id))
    throw ServiceError::invalid("project_id",
                                "project " + req.project_id + " does not exist in this workspace");
  for (const auto* url : {&req.redirect_uri, &req.return_to})
    if (!url->empty() && url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0)
      throw ServiceError::invalid(url == &req.redirect_uri ? "redirect_uri" : "return_to",
                                  "must be an http(s) URL");

  auth::oauth2::PendingAuthorization pending;
  pending.workspace_id = who.workspace_id;
  pending.project_id = req.project_id;
  pending.integration_id = integration.id;
  pending.connection_name = req.connection_name;
  pending.redirect_uri = req.redirect_uri.empty() ? callback_url_ : req.redirect_uri;
  pending.return_to = req.return_to;
  pending.created_by_key_id = who.key_id;
  auto pkce = auth::oauth2::make_pkce();
  pending.code_verifier = pkce.verifier;

  AuthorizationStart out;
  out.state = states_.issue(pending);
  out.redirect_uri = pending.redirect_uri;
  out.url = auth::oauth2::authorize_url(tokens_.endpoints(integration), pending.redirect_uri, out.state,
                                        pkce.challenge);
  out.expires_at = store::to_iso(std::chrono::system_clock::now() + states_.ttl());
  return out;
}

OAuthService::Completed OAuthService::complete(const std::string& code, const std::string& state) {
  auth::oauth2::PendingAuthorization pending;
  try {
    pending = states_.consume(state);
  } catch (const auth::oauth2::StateError& e) {
    throw ServiceError::invalid(e.code(), e.what());
  }
  if (code.empty()) throw ServiceError::invalid("code", "the provider sent no authorization code");
  auto integration = integrations_.get(pending.workspace_id, pending.integration_id);
  require_oauth(integration);
  auto tokens = auth::oauth2::exchange_code(http_, tokens_.endpoints(integration), code, pending.redirect_uri,
                                            pending.code_verifier, kTokenTimeout);
  NewConnection c;
  c.project_id = pending.project_id;
  c.integration_id = integration.id;
  c.name = pending.connection_name;
  c.auth_type = "oauth2";
  c.credentials = TokenManager::credentials_from(tokens, "authorization_code");
  return {connections_.create(pending.workspace_id, c), pending.return_to};
}

store::Connection OAuthService::connect_client_credentials(const std::string& workspace_id,
                                                           const std::string& integration_ref,
                                                           const std::string& project_id,
                                                           const std::string& name) {
  auto integration = integrations_.get(workspace_id, integration_ref);
  require_oauth(integration);
  auto tokens = auth::oauth2::client_credentials(http_, tokens_.endpoints(integration), kTokenTimeout);
  NewConnection c;
  c.project_id = project_id;
  c.integration_id = integration.id;
  c.name = name;
  c.auth_type = "oauth2";
  c.credentials = TokenManager::credentials_from(tokens, "client_credentials");
  return connections_.create(workspace_id, c);
}

}  // namespace plugboard::execute

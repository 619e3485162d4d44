// The OAuth2 client side of a connection (RFC 6749, PKCE per RFC 7636, revocation per
// RFC 7009): builds the authorization URL and talks to the provider's token and revocation
// endpoints through the pooled net::HttpClient. Stateless and thread-safe; storing tokens,
// locking per connection and deciding when to refresh belong to the caller.
//
// Secrets (client secret, tokens, codes, verifiers) never appear in an exception message:
// TokenError carries the provider's error code and description and the HTTP status only.
#pragma once

#include "net/http_client.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace plugboard::auth::oauth2 {

struct Endpoints {
  std::string authorize_url, token_url, revocation_url, client_id, client_secret;
  // true: client id and secret go as HTTP Basic (RFC 6749 2.3.1); false: in the form body.
  bool basic_token_auth = false;
  std::vector<std::string> scopes;
};

struct Pkce {
  std::string verifier;   // 64 characters of RFC 7636's unreserved set; never sent to the browser
  std::string challenge;  // base64url(SHA-256(verifier)) without padding, method S256
};
Pkce make_pkce();

// S256 challenge of a verifier (exposed for tests and for checking stored verifiers).
std::string pkce_challenge(const std::string& verifier);

// The provider's authorization URL: response_type=code, client_id, redirect_uri, scope
// (space-joined, omitted when empty), state, code_challenge, code_challenge_method=S256,
// then `extra` (e.g. access_type=offline, prompt=consent); every value percent-encoded. A
// query already in authorize_url is kept and extended.
std::string authorize_url(const Endpoints& endpoints, const std::string& redirect_uri,
                          const std::string& state, const std::string& code_challenge,
                          const std::map<std::string, std::string>& extra = {});

struct TokenSet {
  std::string access_token;
  // After refresh(): the provider's new (rotated) refresh token when it sent one, otherwise
  // the refresh token that was used, so the caller can always store this value. Use
  // refresh_token_rotated to know whether it changed.
  std::string refresh_token;
  bool refresh_token_rotated = false;
  std::string token_type;
  std::string scope;
  std::optional<std::int64_t> expires_in;  // seconds, as the provider said; nullopt if it did not
  std::string raw_json;                    // the whole response body (id_token and the like)

  // When the access token expires, counted from `obtained_at` (the time the response came);
  // nullopt when the provider gave no expires_in.
  std::optional<std::chrono::system_clock::time_point> expires_at(
      std::chrono::system_clock::time_point obtained_at) const;
};

// True when a token expiring at expires_at should be refreshed now: it expires within
// `buffer` of `now`. A token without expiry never needs it (refresh on the provider's 401).
bool needs_refresh(const std::optional<std::chrono::system_clock::time_point>& expires_at,
                   std::chrono::system_clock::time_point now,
                   std::chrono::seconds buffer = std::chrono::seconds(60));

// A refused or failed token request. `error` is the RFC 6749 5.2 code from the provider
// (invalid_grant, invalid_client, ...) or, when there was no usable answer,
// "temporarily_unavailable" (transport failure, timeout, 5xx without an error body) or
// "server_error" (an answer that is not an OAuth2 response).
class TokenError : public std::runtime_error {
 public:
  TokenError(std::string error, std::string description, int http_status);

  const std::string& error() const { return error_; }
  const std::string& description() const { return description_; }
  int http_status() const { return http_status_; }  // 0 when no HTTP answer came

  // The grant or the client is refused for good: retrying cannot help, the user must
  // authorize again (invalid_grant, invalid_client, unauthorized_client).
  bool needs_reauthorization() const;
  // Worth retrying later (transport failures, 5xx, temporarily_unavailable).
  bool transient() const;

 private:
  std::string error_, description_;
  int http_status_;
};

// Exchanges an authorization code (grant_type=authorization_code) with its PKCE verifier.
TokenSet exchange_code(net::HttpClient& http, const Endpoints& endpoints, const std::string& code,
                       const std::string& redirect_uri, const std::string& code_verifier,
                       std::chrono::milliseconds timeout);

// grant_type=refresh_token. See TokenSet::refresh_token: the caller stores the returned one.
TokenSet refresh(net::HttpClient& http, const Endpoints& endpoints, const std::string& refresh_token,
                 std::chrono::milliseconds timeout);

// grant_type=client_credentials with the endpoints' scopes. Such tokens have no refresh
// token: fetch a new one when needs_refresh() says so.
TokenSet client_credentials(net::HttpClient& http, const Endpoints& endpoints,
                            std::chrono::milliseconds timeout);

// RFC 7009 revocation; token_type_hint is "refresh_token", "access_token" or empty. Does
// nothing when revocation_url is empty. Throws TokenError when the server refuses.
void revoke(net::HttpClient& http, const Endpoints& endpoints, const std::string& token,
            const std::string& token_type_hint, std::chrono::milliseconds timeout);

// application/x-www-form-urlencoded encoding of one value (space as '+'), as RFC 6749 uses
// for bodies and for the Basic credentials of 2.3.1.
std::string form_encode(const std::string& value);

// base64url without padding (RFC 4648 section 5), as PKCE and the state signature use.
std::string base64url_encode(std::string_view bytes);

}  // namespace plugboard::auth::oauth2

#include "auth/oauth2_client.hpp"

#include "vault/random.hpp"

#include <openssl/sha.h>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <utility>

namespace plugboard::auth::oauth2 {

namespace {

constexpr std::size_t kVerifierLength = 64;
// Provider descriptions are shown to users and logged: keep them short and printable.
constexpr std::size_t kMaxDescription = 300;

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

std::string percent_encode(const std::string& value, bool space_as_plus) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
  for (const unsigned char c : value) {
    if (unreserved(c)) {
      out += static_cast<char>(c);
    } else if (c == ' ' && space_as_plus) {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

std::string printable(std::string text) {
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  if (text.size() > kMaxDescription) {
    text.resize(kMaxDescription);
    text += "...";
  }
  return text;
}

std::string message_for(const std::string& error, const std::string& description, int status) {
  std::string m = "OAuth2 token endpoint refused the request: " + error;
  if (status != 0) m += " (HTTP " + std::to_string(status) + ")";
  if (!description.empty()) m += ": " + description;
  return m;
}

using Form = std::vector<std::pair<std::string, std::string>>;

std::string encode_form(const Form& form) {
  std::string body;
  for (const auto& [k, v] : form) {
    if (!body.empty()) body += '&';
    body += form_encode(k);
    body += '=';
    body += form_encode(v);
  }
  return body;
}

// The request to a token or revocation endpoint, with the client authenticated per
// basic_token_auth. A client without a secret (a public client) sends its id only.
net::OutboundRequest client_request(const Endpoints& e, const std::string& url, Form form) {
  net::OutboundRequest r;
  r.method = "POST";
  r.url = url;
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
  if (e.basic_token_auth) {
    r.headers.emplace_back("Authorization", "Basic " + vault::base64_encode(form_encode(e.client_id) + ":" +
                                                                            form_encode(e.client_secret)));
  } else {
    form.emplace_back("client_id", e.client_id);
    if (!e.client_secret.empty()) form.emplace_back("client_secret", e.client_secret);
  }
  r.body = encode_form(form);
  return r;
}

net::OutboundResponse send(net::HttpClient& http, const net::OutboundRequest& request,
                           std::chrono::milliseconds timeout, const char* what) {
  try {
    return http.send(request, timeout);
  } catch (const net::TransportError& e) {
    const std::string reason = e.kind == net::TransportError::Kind::timeout ? "timed out" : "unreachable";
    throw TokenError(
        e.kind == net::TransportError::Kind::bad_url ? "invalid_request" : "temporarily_unavailable",
        std::string(what) + " " + reason + ": " + e.what(), 0);
  }
}

std::string joined_scopes(const Endpoints& e) {
  std::string scope;
  for (const auto& s : e.scopes) {
    if (s.empty()) continue;
    if (!scope.empty()) scope += ' ';
    scope += s;
  }
  return scope;
}

const boost::json::object* as_object(const boost::json::value& v) {
  return v.is_object() ? &v.as_object() : nullptr;
}

std::string string_field(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// expires_in is a number by RFC 6749, but some providers send it as a string.
std::optional<std::int64_t> expires_in_field(const boost::json::object& o) {
  const auto* v = o.if_contains("expires_in");
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(std::min<std::uint64_t>(v->as_uint64(), INT64_MAX));
  if (v->is_double()) return static_cast<std::int64_t>(v->as_double());
  if (v->is_string()) {
    const auto& s = v->as_string();
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && end == s.data() + s.size()) return n;
  }
  return std::nullopt;
}

// An RFC 6749 5.2 error body, if the response holds one (some providers answer errors
// with 200, so this is checked whatever the status).
void throw_if_error_body(const boost::json::object* o, int status) {
  if (!o) return;
  const std::string error = string_field(*o, "error");
  if (error.empty()) return;
  throw TokenError(printable(error), printable(string_field(*o, "error_description")), status);
}

boost::json::value parse_json(const std::string& body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec) return nullptr;
  return v;
}

TokenSet token_request(net::HttpClient& http, const Endpoints& e, Form form,
                       std::chrono::milliseconds timeout) {
  if (e.token_url.empty()) throw TokenError("invalid_request", "no token URL configured", 0);
  const auto response =
      send(http, client_request(e, e.token_url, std::move(form)), timeout, "token endpoint");
  const boost::json::value json = parse_json(response.body);
  const auto* o = as_object(json);
  throw_if_error_body(o, response.status);
  if (response.status < 200 || response.status > 299) {
    throw TokenError(
        response.status >= 500 ? "temporarily_unavailable" : "server_error",
        "token endpoint answered HTTP " + std::to_string(response.status) + " without an OAuth2 error",
        response.status);
  }
  if (!o)
    throw TokenError("server_error", "token endpoint answered with something other than a JSON object",
                     response.status);
  TokenSet t;
  t.access_token = string_field(*o, "access_token");
  if (t.access_token.empty())
    throw TokenError("server_error", "token endpoint answered without an access_token", response.status);
  t.refresh_token = string_field(*o, "refresh_token");
  t.token_type = string_field(*o, "token_type");
  t.scope = string_field(*o, "scope");
  t.expires_in = expires_in_field(*o);
  t.raw_json = response.body;
  return t;
}

}  // namespace

std::string form_encode(const std::string& value) { return percent_encode(value, true); }

std::string base64url_encode(std::string_view bytes) {
  std::string s = vault::base64_encode(bytes);
  while (!s.empty() && s.back() == '=') s.pop_back();
  std::replace(s.begin(), s.end(), '+', '-');
  std::replace(s.begin(), s.end(), '/', '_');
  return s;
}

std::string pkce_challenge(const std::string& verifier) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), digest);
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

Pkce make_pkce() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
  static constexpr std::size_t kAlphabetSize = sizeof kAlphabet - 1;  // 66
  // Rejection sampling keeps every character equally likely (256 is not a multiple of 66).
  constexpr unsigned kLimit = 256 - 256 % kAlphabetSize;
  Pkce p;
  p.verifier.reserve(kVerifierLength);
  while (p.verifier.size() < kVerifierLength) {
    for (const unsigned char b : vault::random_bytes(kVerifierLength)) {
      if (b >= kLimit) continue;
      p.verifier += kAlphabet[b % kAlphabetSize];
      if (p.verifier.size() == kVerifierLength) break;
    }
  }
  p.challenge = pkce_challenge(p.verifier);
  return p;
}

std::string authorize_url(const Endpoints& e, const std::string& redirect_uri, const std::string& state,
                          const std::string& code_challenge,
                          const std::map<std::string, std::string>& extra) {
  std::vector<std::pair<std::string, std::string>> params = {
      {"response_type", "code"}, {"client_id", e.client_id}, {"redirect_uri", redirect_uri}};
  const std::string scope = joined_scopes(e);
  if (!scope.empty()) params.emplace_back("scope", scope);
  params.emplace_back("state", state);
  params.emplace_back("code_challenge", code_challenge);
  params.emplace_back("code_challenge_method", "S256");
  for (const auto& [k, v] : extra) params.emplace_back(k, v);

  std::string base = e.authorize_url;
  std::string fragment;
  if (const auto hash = base.find('#'); hash != std::string::npos) {
    fragment = base.substr(hash);
    base.resize(hash);
  }
  std::string url = base;
  const auto q = url.find('?');
  if (q == std::string::npos) {
    url += '?';
  } else if (url.back() != '?' && url.back() != '&') {
    url += '&';
  }
  bool first = true;
  for (const auto& [k, v] : params) {
    if (!first) url += '&';
    first = false;
    url += percent_encode(k, false);
    url += '=';
    url += percent_encode(v, false);
  }
  return url + fragment;
}

std::optional<std::chrono::system_clock::time_point> TokenSet::expires_at(
    std::chrono::system_clock::time_point obtained_at) const {
  if (!expires_in) return std::nullopt;
  return obtained_at + std::chrono::seconds(std::max<std::int64_t>(*expires_in, 0));
}

bool needs_refresh(const std::optional<std::chrono::system_clock::time_point>& expires_at,
                   std::chrono::system_clock::time_point now, std::chrono::seconds buffer) {
  return expires_at && *expires_at - buffer <= now;
}

TokenError::TokenError(std::string error, std::string description, int http_status)
    : std::runtime_error(message_for(error, description, http_status)),
      error_(std::move(error)),
      description_(std::move(description)),
      http_status_(http_status) {}

bool TokenError::needs_reauthorization() const {
  return error_ == "invalid_grant" || error_ == "invalid_client" || error_ == "unauthorized_client";
}

bool TokenError::transient() const {
  return error_ == "temporarily_unavailable" || http_status_ >= 500 || http_status_ == 429;
}

TokenSet exchange_code(net::HttpClient& http, const Endpoints& e, const std::string& code,
                       const std::string& redirect_uri, const std::string& code_verifier,
                       std::chrono::milliseconds timeout) {
  Form form = {{"grant_type", "authorization_code"}, {"code", code}, {"redirect_uri", redirect_uri}};
  if (!code_verifier.empty()) form.emplace_back("code_verifier", code_verifier);
  return token_request(http, e, std::move(form), timeout);
}

TokenSet refresh(net::HttpClient& http, const Endpoints& e, const std::string& refresh_token,
                 std::chrono::milliseconds timeout) {
  if (refresh_token.empty()) throw TokenError("invalid_grant", "no refresh token stored", 0);
  TokenSet t =
      token_request(http, e, {{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}}, timeout);
  if (t.refresh_token.empty()) {
    t.refresh_token = refresh_token;
  } else {
    t.refresh_token_rotated = t.refresh_token != refresh_token;
  }
  return t;
}

TokenSet client_credentials(net::HttpClient& http, const Endpoints& e, std::chrono::milliseconds timeout) {
  Form form = {{"grant_type", "client_credentials"}};
  const std::string scope = joined_scopes(e);
  if (!scope.empty()) form.emplace_back("scope", scope);
  return token_request(http, e, std::move(form), timeout);
}

void revoke(net::HttpClient& http, const Endpoints& e, const std::string& token,
            const std::string& token_type_hint, std::chrono::milliseconds timeout) {
  if (e.revocation_url.empty()) return;
  Form form = {{"token", token}};
  if (!token_type_hint.empty()) form.emplace_back("token_type_hint", token_type_hint);
  const auto response =
      send(http, client_request(e, e.revocation_url, std::move(form)), timeout, "revocation endpoint");
  if (response.status >= 200 && response.status <= 299) return;
  const boost::json::value json = parse_json(response.body);
  throw_if_error_body(as_object(json), response.status);
  throw TokenError(response.status >= 500 ? "temporarily_unavailable" : "server_error",
                   "revocation endpoint answered HTTP " + std::to_string(response.status), response.status);
}

}  // namespace plugboard::auth::oauth2

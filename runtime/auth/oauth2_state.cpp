#include "auth/oauth2_state.hpp"

#include "auth/oauth2_client.hpp"
#include "store/iso_time.hpp"
#include "vault/random.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <boost/json.hpp>

#include <charconv>
#include <utility>

namespace plugboard::auth::oauth2 {

namespace {

constexpr std::size_t kMinKeyBytes = 32;
constexpr std::size_t kIdBytes = 16;
constexpr std::size_t kMaxStateLength = 256;
constexpr auto kPruneEvery = std::chrono::minutes(1);
constexpr auto kKeepExpired = std::chrono::hours(1);

std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string to_json(const PendingAuthorization& p) {
  return boost::json::serialize(boost::json::object{
      {"workspace_id", p.workspace_id},
      {"project_id", p.project_id},
      {"integration_id", p.integration_id},
      {"connection_name", p.connection_name},
      {"redirect_uri", p.redirect_uri},
      {"code_verifier", p.code_verifier},
      {"created_by_key_id", p.created_by_key_id},
      {"return_to", p.return_to},
  });
}

PendingAuthorization from_json(const std::string& text) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) throw StateError("invalid_state", "stored OAuth2 state is not readable");
  const auto& o = v.as_object();
  const auto field = [&](std::string_view k) {
    const auto* f = o.if_contains(k);
    return f && f->is_string() ? std::string(f->as_string()) : std::string();
  };
  PendingAuthorization p;
  p.workspace_id = field("workspace_id");
  p.project_id = field("project_id");
  p.integration_id = field("integration_id");
  p.connection_name = field("connection_name");
  p.redirect_uri = field("redirect_uri");
  p.code_verifier = field("code_verifier");
  p.created_by_key_id = field("created_by_key_id");
  p.return_to = field("return_to");
  return p;
}

bool is_base64url(std::string_view s) {
  for (const char c : s) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return !s.empty();
}

}  // namespace

StateError::StateError(std::string code, const std::string& message)
    : std::runtime_error(message), code_(std::move(code)) {}

StateService::StateService(store::Store& store, std::string signing_key, std::chrono::seconds ttl)
    : store_(store), key_(std::move(signing_key)), ttl_(ttl) {
  if (key_.size() < kMinKeyBytes)
    throw std::invalid_argument("OAuth2 state signing key must have at least 32 bytes");
  if (ttl_.count() <= 0) throw std::invalid_argument("OAuth2 state lifetime must be positive");
}

std::string StateService::sign(const std::string& id, const std::string& expiry) const {
  const std::string message = id + "|" + expiry;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_len))
    throw std::runtime_error("HMAC-SHA256 failed");
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

std::string StateService::issue(const PendingAuthorization& pending) {
  const auto now = std::chrono::system_clock::now();
  const std::int64_t now_s = unix_seconds(now);
  if (now_s - last_prune_.load() >= std::chrono::duration_cast<std::chrono::seconds>(kPruneEvery).count()) {
    last_prune_.store(now_s);
    prune();
  }
  const std::int64_t expiry = now_s + ttl_.count();
  store::OAuthState record;
  record.id = base64url_encode(vault::random_bytes(kIdBytes));
  record.payload = to_json(pending);
  record.expires_at = store::to_iso(std::chrono::system_clock::time_point(std::chrono::seconds(expiry)));
  record.created_at = store::to_iso(now);
  store_.oauth_states().create(record);
  const std::string expiry_text = std::to_string(expiry);
  return record.id + "." + expiry_text + "." + sign(record.id, expiry_text);
}

PendingAuthorization StateService::consume(const std::string& state) {
  if (state.size() > kMaxStateLength) throw StateError("invalid_state", "OAuth2 state is malformed");
  const auto first = state.find('.');
  const auto second = first == std::string::npos ? std::string::npos : state.find('.', first + 1);
  if (second == std::string::npos) throw StateError("invalid_state", "OAuth2 state is malformed");
  const std::string id = state.substr(0, first);
  const std::string expiry_text = state.substr(first + 1, second - first - 1);
  const std::string mac = state.substr(second + 1);
  std::int64_t expiry = 0;
  const auto [end, ec] = std::from_chars(expiry_text.data(), expiry_text.data() + expiry_text.size(), expiry);
  if (!is_base64url(id) || !is_base64url(mac) || ec != std::errc() ||
      end != expiry_text.data() + expiry_text.size())
    throw StateError("invalid_state", "OAuth2 state is malformed");

  const std::string expected = sign(id, expiry_text);
  if (mac.size() != expected.size() || CRYPTO_memcmp(mac.data(), expected.data(), expected.size()) != 0)
    throw StateError("invalid_state", "OAuth2 state signature does not match");

  const auto now = std::chrono::system_clock::now();
  if (unix_seconds(now) >= expiry)
    throw StateError("expired_state", "OAuth2 authorization took too long; start again");

  auto& repo = store_.oauth_states();
  if (auto taken = repo.take(id, store::to_iso(now))) return from_json(taken->payload);
  const auto existing = repo.get(id);
  if (!existing) throw StateError("invalid_state", "OAuth2 state is unknown");
  if (existing->consumed_at) throw StateError("used_state", "OAuth2 state was already used");
  throw StateError("expired_state", "OAuth2 authorization took too long; start again");
}

std::int64_t StateService::prune() {
  return store_.oauth_states().prune(store::to_iso(std::chrono::system_clock::now() - kKeepExpired));
}

}  // namespace plugboard::auth::oauth2

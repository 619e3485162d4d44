#include "execute/token_manager.hpp"

#include "store/iso_time.hpp"

#include <spdlog/spdlog.h>

namespace plugboard::execute {
namespace {

using Clock = std::chrono::system_clock;

std::string field(const boost::json::object& o, const char* name) {
  const auto* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

auth::oauth2::Endpoints TokenManager::endpoints(const store::Integration& i) const {
  auth::oauth2::Endpoints e;
  e.authorize_url = i.auth_uri;
  e.token_url = i.token_uri;
  e.revocation_url = i.revocation_uri;
  e.client_id = i.client_id;
  e.client_secret = integrations_.client_secret(i);
  e.basic_token_auth = i.basic_token_auth;
  std::size_t pos = 0;
  while (pos < i.scope.size()) {
    auto space = i.scope.find(' ', pos);
    if (space == std::string::npos) space = i.scope.size();
    if (space > pos) e.scopes.push_back(i.scope.substr(pos, space - pos));
    pos = space + 1;
  }
  return e;
}

boost::json::object TokenManager::credentials_from(const auth::oauth2::TokenSet& t,
                                                   const std::string& grant_type,
                                                   const boost::json::object& previous) {
  boost::json::object c{{"access_token", t.access_token},
                        {"token_type", t.token_type.empty() ? "Bearer" : t.token_type},
                        {"grant_type", grant_type}};
  std::string refresh = t.refresh_token.empty() ? field(previous, "refresh_token") : t.refresh_token;
  if (!refresh.empty()) c["refresh_token"] = refresh;
  std::string scope = t.scope.empty() ? field(previous, "scope") : t.scope;
  if (!scope.empty()) c["scope"] = scope;
  const auto now = Clock::now();
  if (auto at = t.expires_at(now)) {
    c["expires_at"] = store::to_iso(*at);
    c["obtained_at"] = store::to_iso(now);
  }
  return c;
}

bool TokenManager::needs_refresh(const ResolvedConnection& conn) const {
  if (conn.record.auth_type != "oauth2" || !conn.credentials) return false;
  const auto expires = store::parse_iso(field(*conn.credentials, "expires_at"));
  if (!expires) return false;
  // A token that lives less than twice the buffer would always look due: refresh it in the
  // second half of its life instead.
  auto buffer = buffer_;
  if (auto obtained = store::parse_iso(field(*conn.credentials, "obtained_at")))
    buffer = std::min(buffer, std::chrono::duration_cast<std::chrono::seconds>(*expires - *obtained) / 2);
  return auth::oauth2::needs_refresh(expires, Clock::now(), buffer);
}

std::shared_ptr<std::mutex> TokenManager::lock_for(const std::string& connection_id) {
  std::lock_guard lock(locks_mutex_);
  auto& weak = locks_[connection_id];
  auto strong = weak.lock();
  if (!strong) {
    strong = std::make_shared<std::mutex>();
    weak = strong;
  }
  if (locks_.size() > 10000)  // forget locks nobody holds
    for (auto it = locks_.begin(); it != locks_.end();)
      it = it->second.expired() ? locks_.erase(it) : std::next(it);
  return strong;
}

std::shared_ptr<const ResolvedConnection> TokenManager::refresh(const ResolvedConnection& current,
                                                                std::chrono::milliseconds budget) {
  const auto& rec = current.record;
  auto integration = integrations_.find(rec.workspace_id, rec.integration_id);
  if (!integration)
    throw TokenRefreshFailure{
        {"EXECUTION_FAILED", "The connection's integration no longer exists", {{"connection_id", rec.id}}}};
  const auto e = endpoints(*integration);
  const boost::json::object& creds = *current.credentials;
  const std::string grant = field(creds, "grant_type");
  try {
    auth::oauth2::TokenSet tokens;
    if (grant == "client_credentials") {
      tokens = auth::oauth2::client_credentials(http_, e, budget);
    } else {
      const std::string refresh_token = field(creds, "refresh_token");
      if (refresh_token.empty()) {
        connections_.mark_needs_reauthorization(rec.id,
                                                "the access token expired and there is no refresh token");
        throw TokenRefreshFailure{{"CONNECTION_INACTIVE",
                                   "The connection needs to be authorized again",
                                   {{"status", "reauthorization_required"}, {"reason", "no refresh token"}}}};
      }
      tokens = auth::oauth2::refresh(http_, e, refresh_token, budget);
    }
    connections_.store_credentials(
        rec.id, credentials_from(tokens, grant.empty() ? "authorization_code" : grant, creds));
    spdlog::info("connection {}: access token refreshed", rec.id);
    return connections_.reload(rec.id);
  } catch (const auth::oauth2::TokenError& err) {
    if (err.needs_reauthorization()) {
      const std::string reason = err.error() + (err.description().empty() ? "" : ": " + err.description());
      connections_.mark_needs_reauthorization(rec.id, reason);
      spdlog::warn("connection {}: refresh refused ({}); it needs to be authorized again", rec.id,
                   err.error());
      throw TokenRefreshFailure{
          {"CONNECTION_INACTIVE",
           "The connection needs to be authorized again",
           {{"status", "reauthorization_required"}, {"reason", reason}, {"connection_id", rec.id}}}};
    }
    throw TokenRefreshFailure{{"EXECUTION_FAILED",
                               "Refreshing the access token failed",
                               {{"error_code", "TOKEN_REFRESH_FAILED"},
                                {"provider_error", err.error()},
                                {"retryable", err.transient()}}}};
  }
}

std::shared_ptr<const ResolvedConnection> TokenManager::ensure_fresh(
    std::shared_ptr<const ResolvedConnection> conn, std::chrono::milliseconds budget) {
  if (!needs_refresh(*conn)) return conn;
  auto lock = lock_for(conn->record.id);
  std::lock_guard guard(*lock);
  // Another execution may have refreshed while this one waited: read the stored token again.
  auto current = connections_.reload(conn->record.id);
  if (!current) return conn;
  if (!needs_refresh(*current)) return current;
  return refresh(*current, budget);
}

std::shared_ptr<const ResolvedConnection> TokenManager::after_rejection(
    const std::string& connection_id, const std::string& rejected_access_token,
    std::chrono::milliseconds budget) {
  auto lock = lock_for(connection_id);
  std::lock_guard guard(*lock);
  auto current = connections_.reload(connection_id);
  if (!current || !current->credentials || current->record.auth_type != "oauth2") return current;
  if (field(*current->credentials, "access_token") != rejected_access_token)
    return current;  // already refreshed
  return refresh(*current, budget);
}

void TokenManager::revoke_integration(const std::string& workspace_id, const std::string& integration_id,
                                      std::chrono::milliseconds budget) {
  store::ConnectionFilter f;
  f.workspace_id = workspace_id;
  f.integration_id = integration_id;
  for (store::Page page{500, 0};; page.offset += page.limit) {
    auto batch = connections_.list(f, page);
    for (const auto& c : batch)
      if (auto resolved = connections_.resolve(c.id)) revoke(*resolved, budget);
    if (static_cast<std::int64_t>(batch.size()) < page.limit) break;
  }
}

bool TokenManager::revoke(const ResolvedConnection& conn, std::chrono::milliseconds budget) {
  if (conn.record.auth_type != "oauth2" || !conn.credentials) return true;
  auto integration = integrations_.find(conn.record.workspace_id, conn.record.integration_id);
  if (!integration || integration->revocation_uri.empty()) return true;
  const auto e = endpoints(*integration);
  try {
    // The refresh token first: revoking it ends the grant, and most providers then drop
    // its access tokens too (RFC 7009 2.1).
    if (auto rt = field(*conn.credentials, "refresh_token"); !rt.empty())
      auth::oauth2::revoke(http_, e, rt, "refresh_token", budget);
    if (auto at = field(*conn.credentials, "access_token"); !at.empty())
      auth::oauth2::revoke(http_, e, at, "access_token", budget);
    return true;
  } catch (const std::exception& err) {
    spdlog::warn("connection {}: revoking its tokens failed: {}", conn.record.id, err.what());
    return false;
  }
}

}  // namespace plugboard::execute

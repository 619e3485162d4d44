// Connections: one account's credentials on a provider, owned by a workspace and project.
// Credentials are sealed by the Vault before they reach the store and are never returned.
// resolve() serves the execute path from memory: record, decrypted credentials and the
// headers they inject, built once per connection and dropped on any change.
#pragma once

#include "auth/tenancy_service.hpp"
#include "execute/credential_injection.hpp"
#include "execute/integration_service.hpp"
#include "plugins/registry_handle.hpp"
#include "store/repositories.hpp"
#include "vault/vault.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace plugboard::execute {

struct NewConnection {
  std::string project_id;
  std::string integration_id;  // an integration's id or slug (a provider id names its default)
  std::string name;
  std::string auth_type;  // empty: the provider's first auth type
  std::optional<boost::json::object> credentials;
  boost::json::object configuration;
  boost::json::object user;  // {"id","email",...}: required by a per-user integration
};

// A connection as execute needs it. Immutable once built.
struct ResolvedConnection {
  store::Connection record;
  boost::json::object configuration;
  std::optional<boost::json::object> credentials;  // nullopt: none stored
  std::string decrypt_error;                       // set when the sealed credentials did not open
  std::optional<Injected> injected;                // credentials and integration headers to apply
  std::string inject_error;
  std::string base_url;   // the integration's apiBaseUri; empty: the provider's
  bool per_user = false;  // only its user's executions may use it
  std::string user_id;
  std::chrono::steady_clock::time_point loaded;
};

class ConnectionService {
 public:
  ConnectionService(store::Store& store, const vault::Vault& vault, auth::TenancyService& tenancy,
                    const plugins::RegistryHandle& registry, IntegrationService& integrations,
                    std::chrono::seconds cache_ttl = std::chrono::seconds(60));

  // Throws ServiceError (validation_error with the field, or not_found).
  store::Connection create(const std::string& workspace_id, const NewConnection& c);
  std::vector<store::Connection> list(const store::ConnectionFilter& filter, const store::Page& page);
  std::int64_t count(const store::ConnectionFilter& filter);
  store::ExecutionRepository::Usage usage(const std::string& id, const std::string& since) {
    return store_.executions().connection_usage(id, since);
  }
  std::optional<store::Connection> get(const std::string& workspace_id, const std::string& id);
  bool remove(const std::string& workspace_id, const std::string& id);

  // For execute: any workspace (the caller checks ownership); nullptr when there is none.
  std::shared_ptr<const ResolvedConnection> resolve(const std::string& id);
  // The same, read from the store now (after taking a refresh lock, say) and cached anew.
  std::shared_ptr<const ResolvedConnection> reload(const std::string& id);

  // Seals and stores new credentials; the connection becomes connected.
  void store_credentials(const std::string& id, const boost::json::object& credentials);
  // The provider refused to refresh: executions fail at once until the account is authorized again.
  void mark_needs_reauthorization(const std::string& id, const std::string& reason);

  // Partial update: name, configuration, credentials (replaced whole), status (connected or
  // disabled). Throws ServiceError.
  store::Connection patch(const std::string& workspace_id, const std::string& id,
                          const std::optional<std::string>& name,
                          const std::optional<boost::json::object>& configuration,
                          const std::optional<boost::json::object>& credentials,
                          const std::optional<std::string>& status);
  // Forgets the credentials and keeps the record, its executions and audit as disconnected.
  void disconnect(const std::string& workspace_id, const std::string& id);

  // Drops the cached connection (another node changed it; see auth/change_feed.hpp).
  void invalidate(const std::string& id);
  void invalidate_all();

  // The credential field names of a connection's auth type, for redacted rendering.
  std::vector<std::string> credential_fields(const store::Connection& c) const;

 private:
  std::shared_ptr<const ResolvedConnection> build(store::Connection record) const;
  // invalidate, and tells the other nodes.
  void forget(const std::string& id);

  store::Store& store_;
  const vault::Vault& vault_;
  auth::TenancyService& tenancy_;
  const plugins::RegistryHandle& registry_;
  IntegrationService& integrations_;
  std::chrono::seconds ttl_;
  std::shared_mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const ResolvedConnection>> cache_;
  std::uint64_t cache_generation_ = 0;               // of the registry
  std::uint64_t cache_integrations_generation_ = 0;  // of the integrations
  bool cache_current() const {
    return cache_generation_ == registry_.generation() &&
           cache_integrations_generation_ == integrations_.generation();
  }
};

}  // namespace plugboard::execute

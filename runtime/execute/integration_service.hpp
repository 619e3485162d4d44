// Integrations: an operator's configured instances of providers (seed 002 fields, seed 001
// semantics), per workspace. Every loaded provider also has a default integration, created on
// first use, so a workspace with no configuration can still connect and execute.
// Secrets (client secret, API key, header values) are sealed and never returned.
#pragma once

#include "plugins/registry_handle.hpp"
#include "store/repositories.hpp"
#include "vault/vault.hpp"

#include <boost/json.hpp>

#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace plugboard::execute {

// What a create or update may set; absent fields are left as they are (update) or defaulted.
struct IntegrationInput {
  std::optional<std::string> name, slug, type, category, description, mode, auth_type, scope, auth_uri,
      token_uri, revocation_uri, api_base_uri, client_id, client_secret, api_key, api_key_location,
      api_key_name, image_url;
  std::optional<bool> basic_token_auth, sandbox;
  std::optional<boost::json::object> headers, data;
};

class IntegrationService {
 public:
  IntegrationService(store::Store& store, const vault::Vault& vault, const plugins::RegistryHandle& registry)
      : store_(store), vault_(vault), registry_(registry) {}

  // All throw ServiceError (validation_error with the field, not_found, conflict).
  store::Integration create(const std::string& workspace_id, const IntegrationInput& in);
  store::Integration update(const std::string& workspace_id, const std::string& id_or_slug,
                            const IntegrationInput& in);
  void remove(const std::string& workspace_id, const std::string& id_or_slug);  // with its connections
  std::optional<store::Integration> find(const std::string& workspace_id, const std::string& id_or_slug);
  store::Integration get(const std::string& workspace_id, const std::string& id_or_slug);  // or not_found
  std::vector<store::Integration> list(const store::IntegrationFilter& filter, const store::Page& page);
  std::int64_t count(const store::IntegrationFilter& filter);
  std::vector<store::ErrorSummary> errors(const std::string& workspace_id, const std::string& id_or_slug);

  void set_icon(const std::string& workspace_id, const std::string& id_or_slug,
                const std::string& content_type, const std::string& bytes);
  void clear_icon(const std::string& workspace_id, const std::string& id_or_slug);
  void set_share(const std::string& workspace_id, const std::string& id_or_slug, const std::string& principal,
                 int access_level);
  bool remove_share(const std::string& workspace_id, const std::string& id_or_slug,
                    const std::string& principal);

  // The integration's OAuth client secret, decrypted; empty when it has none.
  std::string client_secret(const store::Integration& i) const;
  // The integration's shared API key, decrypted; empty when it has none.
  std::string api_key(const store::Integration& i) const;

  // The integration's headers, decrypted (templates unexpanded); empty when it has none.
  boost::json::object headers(const store::Integration& i) const;

  // Creates the default integration of every loaded provider the workspace lacks.
  void ensure_defaults(const std::string& workspace_id);

  // Changes whenever an integration changes, so caches built from integrations know to rebuild.
  std::uint64_t generation() const { return generation_.load(); }
  // Another node changed an integration (auth/change_feed.hpp): caches built from them rebuild.
  void invalidate() { generation_.fetch_add(1); }

 private:
  void apply(store::Integration& i, const IntegrationInput& in, bool creating);
  // invalidate, and tells the other nodes.
  void changed(const std::string& id);

  store::Store& store_;
  const vault::Vault& vault_;
  const plugins::RegistryHandle& registry_;
  std::mutex defaults_mutex_;
  std::set<std::pair<std::string, std::uint64_t>> defaults_done_;  // (workspace, registry generation)
  std::atomic<std::uint64_t> generation_{0};
};

// The API spells the API-key auth type "apikey" (seed 002); manifests say "api_key".
std::string auth_type_for_api(const std::string& manifest_type);

}  // namespace plugboard::execute

#include "execute/connection_service.hpp"

#include "auth/change_feed.hpp"
#include "auth/service_error.hpp"
#include "store/iso_time.hpp"
#include "vault/random.hpp"

namespace plugboard::execute {

namespace {

// Seed 002's header variables: ${tenant.id} (the workspace) and ${user.<field>} (the
// connection's user). A variable with no value is left in place for the caller to refuse.
std::string expand_variables(std::string value, const std::string& workspace_id,
                             const boost::json::object& user) {
  std::size_t pos = 0;
  while ((pos = value.find("${", pos)) != std::string::npos) {
    const auto close = value.find('}', pos);
    if (close == std::string::npos) break;
    const std::string name = value.substr(pos + 2, close - pos - 2);
    std::optional<std::string> replacement;
    if (name == "tenant.id") {
      replacement = workspace_id;
    } else if (name.rfind("user.", 0) == 0) {
      if (const auto* v = user.if_contains(name.substr(5)); v != nullptr && v->is_string())
        replacement = std::string(v->get_string());
    }
    if (!replacement) {
      pos = close + 1;
      continue;
    }
    value.replace(pos, close - pos + 1, *replacement);
    pos += replacement->size();
  }
  return value;
}

}  // namespace

ConnectionService::ConnectionService(store::Store& store, const vault::Vault& vault,
                                     auth::TenancyService& tenancy, const plugins::RegistryHandle& registry,
                                     IntegrationService& integrations, std::chrono::seconds cache_ttl)
    : store_(store),
      vault_(vault),
      tenancy_(tenancy),
      registry_(registry),
      integrations_(integrations),
      ttl_(cache_ttl) {}

store::Connection ConnectionService::create(const std::string& workspace_id, const NewConnection& c) {
  if (c.integration_id.empty()) throw ServiceError::invalid("integration_id", "integration_id is required");
  if (c.project_id.empty()) throw ServiceError::invalid("project_id", "project_id is required");
  if (!tenancy_.project(workspace_id, c.project_id))
    throw ServiceError::invalid("project_id",
                                "project " + c.project_id + " does not exist in this workspace");
  auto integration = integrations_.find(workspace_id, c.integration_id);
  if (!integration)
    throw ServiceError::invalid("integration_id",
                                "no integration or provider '" + c.integration_id + "' exists");
  auto plugin = registry_.get()->find(integration->type);
  if (!plugin)
    throw ServiceError::invalid("integration_id",
                                "the plugin of provider '" + integration->type + "' is not loaded");
  const auto& m = plugin->manifest;
  const plugins::AuthType* auth = nullptr;
  const std::string requested = c.auth_type == "apikey" ? "api_key" : c.auth_type;
  if (requested.empty()) {
    auth = m.find_auth(integration->auth_type);
    if (auth == nullptr && !m.auth.empty()) auth = &m.auth.front();
  } else {
    auth = m.find_auth(requested);
    if (auth == nullptr) {
      std::string offered;
      for (const auto& a : m.auth) offered += (offered.empty() ? "" : ", ") + a.type;
      throw ServiceError::invalid("auth_type", "provider " + m.id + " does not offer auth type '" +
                                                   c.auth_type + "' (it offers: " + offered + ")");
    }
  }
  if (c.credentials) {
    const std::vector<plugins::CredentialField> none;
    for (const auto& f : auth != nullptr ? auth->fields : none) {
      const auto* v = c.credentials->if_contains(f.name);
      if (f.required && (v == nullptr || !v->is_string() || v->get_string().empty()))
        throw ServiceError::invalid("credentials." + f.name,
                                    "credentials." + f.name + " is required (a non-empty string)");
    }
  }

  store::Connection rec;
  rec.id = vault::new_uuid();
  rec.workspace_id = workspace_id;
  rec.project_id = c.project_id;
  rec.provider = m.id;
  rec.integration_id = integration->id;
  rec.name = c.name.empty() ? m.name : c.name;
  rec.auth_type = auth != nullptr ? auth->type : "none";
  // Without credentials a connection waits for them (OAuth or a later update), unless the
  // provider needs none.
  const bool shared_key =
      auth != nullptr && auth->type == "api_key" && integration->sealed_api_key.has_value();
  rec.status = c.credentials || auth == nullptr || shared_key ? "connected" : "pending";
  rec.configuration_json = boost::json::serialize(c.configuration);
  for (const auto& kv : c.user)
    if (!kv.value().is_string())
      throw ServiceError::invalid("user." + std::string(kv.key()), "user fields must be strings");
  if (integration->mode == "per-user") {
    const auto* id = c.user.if_contains("id");
    if (id == nullptr || id->get_string().empty())
      throw ServiceError::invalid("user.id",
                                  "integration " + integration->slug +
                                      " is per-user: the connection needs the user it belongs to (user.id)");
  }
  rec.user_json = boost::json::serialize(c.user);
  if (c.credentials) rec.sealed_credentials = vault_.seal(boost::json::serialize(*c.credentials));
  rec.created_at = rec.updated_at = store::now_iso();
  store_.connections().create(rec);
  return rec;
}

std::vector<store::Connection> ConnectionService::list(const store::ConnectionFilter& filter,
                                                       const store::Page& page) {
  return store_.connections().list(filter, page);
}

std::int64_t ConnectionService::count(const store::ConnectionFilter& filter) {
  return store_.connections().count(filter);
}

std::optional<store::Connection> ConnectionService::get(const std::string& workspace_id,
                                                        const std::string& id) {
  auto c = store_.connections().get(id);
  if (!c || c->workspace_id != workspace_id) return std::nullopt;
  return c;
}

bool ConnectionService::remove(const std::string& workspace_id, const std::string& id) {
  if (!get(workspace_id, id)) return false;
  bool removed = store_.connections().remove(id);
  forget(id);
  return removed;
}

void ConnectionService::forget(const std::string& id) {
  invalidate(id);
  auth::publish_change(store_, auth::topics::kConnection, id);
}

void ConnectionService::invalidate(const std::string& id) {
  std::unique_lock lock(mutex_);
  cache_.erase(id);
}

void ConnectionService::invalidate_all() {
  std::unique_lock lock(mutex_);
  cache_.clear();
}

std::vector<std::string> ConnectionService::credential_fields(const store::Connection& c) const {
  std::vector<std::string> out;
  if (!c.sealed_credentials) return out;
  if (auto plugin = registry_.get()->find(c.provider))
    if (const auto* auth = plugin->manifest.find_auth(c.auth_type))
      for (const auto& f : auth->fields) out.push_back(f.name);
  return out;
}

std::shared_ptr<const ResolvedConnection> ConnectionService::build(store::Connection record) const {
  auto r = std::make_shared<ResolvedConnection>();
  boost::system::error_code ec;
  auto cfg = boost::json::parse(record.configuration_json, ec);
  if (!ec && cfg.is_object()) r->configuration = std::move(cfg.get_object());
  if (record.sealed_credentials) {
    try {
      auto plain = boost::json::parse(vault_.open(*record.sealed_credentials), ec);
      if (ec || !plain.is_object())
        r->decrypt_error = "decrypted credentials are not a JSON object";
      else
        r->credentials = std::move(plain.get_object());
    } catch (const vault::DecryptionError& e) {
      r->decrypt_error = e.what();
    }
  }
  // The integration's settings: its base URL, where an API key goes, a shared API key, and
  // headers with ${tenant.id} and ${user.<field>} filled in.
  Injected extra;
  boost::json::object user;
  if (auto u = boost::json::parse(record.user_json, ec); !ec && u.is_object())
    user = std::move(u.as_object());
  if (const auto* id = user.if_contains("id"); id != nullptr && id->is_string())
    r->user_id = std::string(id->get_string());
  std::optional<plugins::Injection> api_key_rule;
  if (auto integration = integrations_.find(record.workspace_id, record.integration_id)) {
    r->base_url = integration->api_base_uri;
    r->per_user = integration->mode == "per-user";
    if (record.auth_type == "api_key") {
      if (!r->credentials && integration->sealed_api_key) {  // the integration's own key, shared
        try {
          r->credentials = boost::json::object{{"api_key", integrations_.api_key(*integration)}};
        } catch (const vault::DecryptionError& e) {
          r->decrypt_error = e.what();
        }
      }
      if (!integration->api_key_name.empty()) {  // the integration names where the key goes
        api_key_rule.emplace();
        (integration->api_key_location == "query" ? api_key_rule->query
                                                  : api_key_rule->headers)[integration->api_key_name] =
            "${api_key}";
      }
    }
    try {
      for (const auto& kv : integrations_.headers(*integration)) {
        std::string value = expand_variables(std::string(kv.value().as_string()), record.workspace_id, user);
        if (value.find("${") != std::string::npos)
          r->inject_error = "integration header " + std::string(kv.key()) +
                            " names a variable this connection has no value for";
        extra.headers.emplace_back(kv.key(), std::move(value));
      }
    } catch (const vault::DecryptionError& e) {
      r->decrypt_error = e.what();
    }
  }
  if (r->credentials) {
    if (auto plugin = registry_.get()->find(record.provider)) {
      if (const auto* auth = plugin->manifest.find_auth(record.auth_type)) {
        try {
          r->injected = inject_credentials(api_key_rule ? *api_key_rule : auth->inject, *r->credentials);
        } catch (const InjectionError& e) {
          r->inject_error = e.what();
        }
      } else {
        r->injected = Injected{};  // custom transports (SMTP) read credentials themselves
      }
    }
  }
  if (!extra.headers.empty()) {
    if (!r->injected) r->injected = Injected{};
    for (auto& h : extra.headers) r->injected->headers.push_back(std::move(h));
  }
  r->record = std::move(record);
  r->loaded = std::chrono::steady_clock::now();
  return r;
}

std::shared_ptr<const ResolvedConnection> ConnectionService::reload(const std::string& id) {
  invalidate(id);  // a re-read, not a change: nothing to tell other nodes
  return resolve(id);
}

void ConnectionService::store_credentials(const std::string& id, const boost::json::object& credentials) {
  auto rec = store_.connections().get(id);
  if (!rec) throw ServiceError::not_found("connection " + id);
  rec->sealed_credentials = vault_.seal(boost::json::serialize(credentials));
  rec->status = "connected";
  rec->status_reason.clear();
  rec->updated_at = store::now_iso();
  store_.connections().update(*rec);
  forget(id);
}

void ConnectionService::mark_needs_reauthorization(const std::string& id, const std::string& reason) {
  auto rec = store_.connections().get(id);
  if (!rec) return;
  rec->status = "reauthorization_required";
  rec->status_reason = reason.substr(0, 500);
  rec->updated_at = store::now_iso();
  store_.connections().update(*rec);
  forget(id);
}

store::Connection ConnectionService::patch(const std::string& workspace_id, const std::string& id,
                                           const std::optional<std::string>& name,
                                           const std::optional<boost::json::object>& configuration,
                                           const std::optional<boost::json::object>& credentials,
                                           const std::optional<std::string>& status) {
  auto rec = get(workspace_id, id);
  if (!rec) throw ServiceError::not_found("connection " + id);
  if (rec->status == "disconnected")
    throw ServiceError("conflict", "connection " + id + " is disconnected; create a new one");
  if (name) {
    if (name->empty() || name->size() > 200)
      throw ServiceError::invalid("name", "name must be 1 to 200 characters");
    rec->name = *name;
  }
  if (configuration) rec->configuration_json = boost::json::serialize(*configuration);
  if (credentials) {
    if (auto plugin = registry_.get()->find(rec->provider))
      if (const auto* auth = plugin->manifest.find_auth(rec->auth_type))
        for (const auto& f : auth->fields) {
          const auto* v = credentials->if_contains(f.name);
          if (f.required && (v == nullptr || !v->is_string() || v->get_string().empty()))
            throw ServiceError::invalid("credentials." + f.name,
                                        "credentials." + f.name + " is required (a non-empty string)");
        }
    rec->sealed_credentials = vault_.seal(boost::json::serialize(*credentials));
    rec->status = "connected";
    rec->status_reason.clear();
  }
  if (status) {
    if (*status != "connected" && *status != "disabled")
      throw ServiceError::invalid("status", "status can be set to connected or disabled");
    if (*status == "connected" && !rec->sealed_credentials && rec->auth_type != "none")
      throw ServiceError::invalid("status", "a connection without credentials cannot be connected");
    rec->status = *status;
    rec->status_reason.clear();
  }
  rec->updated_at = store::now_iso();
  store_.connections().update(*rec);
  forget(id);
  return *rec;
}

void ConnectionService::disconnect(const std::string& workspace_id, const std::string& id) {
  auto rec = get(workspace_id, id);
  if (!rec) throw ServiceError::not_found("connection " + id);
  rec->sealed_credentials.reset();
  rec->status = "disconnected";
  rec->status_reason.clear();
  rec->updated_at = store::now_iso();
  store_.connections().update(*rec);
  forget(id);
}

std::shared_ptr<const ResolvedConnection> ConnectionService::resolve(const std::string& id) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::shared_lock lock(mutex_);
    if (cache_current())
      if (auto it = cache_.find(id); it != cache_.end() && now - it->second->loaded < ttl_) return it->second;
  }
  auto record = store_.connections().get(id);
  if (!record) return nullptr;
  auto resolved = build(std::move(*record));
  std::unique_lock lock(mutex_);
  if (!cache_current() || cache_.size() > 100000) {
    cache_.clear();  // a plugin reload or an integration change: rebuild entries as they are asked for
    cache_generation_ = registry_.generation();
    cache_integrations_generation_ = integrations_.generation();
  }
  cache_[id] = resolved;
  return resolved;
}

}  // namespace plugboard::execute

#include "execute/integration_service.hpp"

#include "auth/change_feed.hpp"
#include "auth/service_error.hpp"
#include "store/iso_time.hpp"
#include "vault/random.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <tuple>

namespace plugboard::execute {
namespace {

std::string slugify(const std::string& name) {
  std::string out;
  for (unsigned char c : name) {
    if (std::isalnum(c)) {
      out += static_cast<char>(std::tolower(c));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "integration" : out;
}

bool valid_slug(const std::string& s) {
  return !s.empty() && s.size() <= 100 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::islower(c) || std::isdigit(c) || c == '-' || c == '_';
  });
}

void check_url(const char* field, const std::string& url) {
  if (!url.empty() && url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    throw ServiceError::invalid(field, std::string(field) + " must be an http:// or https:// URL");
}

std::string manifest_auth_type(const std::string& t) { return t == "apikey" ? "api_key" : t; }

}  // namespace

std::string auth_type_for_api(const std::string& manifest_type) {
  return manifest_type == "api_key" ? "apikey" : manifest_type;
}

void IntegrationService::apply(store::Integration& i, const IntegrationInput& in, bool creating) {
  if (in.name) {
    if (in.name->empty() || in.name->size() > 200)
      throw ServiceError::invalid("name", "name is required (at most 200 characters)");
    i.name = *in.name;
  }
  if (creating) {
    if (!in.type || in.type->empty()) throw ServiceError::invalid("type", "type (a provider id) is required");
    auto plugin = registry_.get()->find(*in.type);
    if (!plugin) throw ServiceError::invalid("type", "no provider '" + *in.type + "' is loaded");
    i.type = *in.type;
    i.category = plugin->manifest.category;
    i.description = plugin->manifest.description;
    if (const auto* oauth = plugin->manifest.find_auth("oauth2")) {
      i.auth_uri = oauth->authorization_url;
      i.token_uri = oauth->token_url;
      i.revocation_uri = oauth->revocation_url;
      std::string scope;
      for (const auto& s : oauth->scopes) scope += (scope.empty() ? "" : " ") + s;
      i.scope = scope;
    }
    if (!plugin->manifest.auth.empty()) i.auth_type = plugin->manifest.auth.front().type;
  } else if (in.type && *in.type != i.type) {
    throw ServiceError::invalid("type", "an integration's type cannot change; create another integration");
  }
  if (in.slug) {
    if (!valid_slug(*in.slug))
      throw ServiceError::invalid("slug", "slug must be lower-case letters, digits, - and _");
    i.slug = *in.slug;
  } else if (creating) {
    i.slug = slugify(i.name);
  }
  if (in.category) i.category = *in.category;
  if (in.description) i.description = *in.description;
  if (in.mode) {
    if (*in.mode != "shared" && *in.mode != "per-user")
      throw ServiceError::invalid("mode", "mode must be shared or per-user");
    i.mode = *in.mode;
  }
  if (in.auth_type) {
    const std::string t = manifest_auth_type(*in.auth_type);
    auto plugin = registry_.get()->find(i.type);
    if (plugin && plugin->manifest.find_auth(t) == nullptr)
      throw ServiceError::invalid("authType",
                                  "provider " + i.type + " does not offer auth type " + *in.auth_type);
    i.auth_type = t;
  }
  if (in.scope) i.scope = *in.scope;
  for (auto [field, from, to] :
       {std::tuple{"authUri", &in.auth_uri, &i.auth_uri}, std::tuple{"tokenUri", &in.token_uri, &i.token_uri},
        std::tuple{"revocationUri", &in.revocation_uri, &i.revocation_uri},
        std::tuple{"apiBaseUri", &in.api_base_uri, &i.api_base_uri},
        std::tuple{"imageUrl", &in.image_url, &i.image_url}}) {
    if (*from) {
      check_url(field, **from);
      *to = **from;
    }
  }
  if (in.client_id) i.client_id = *in.client_id;
  if (in.client_secret)
    i.sealed_client_secret =
        in.client_secret->empty() ? std::nullopt : std::optional(vault_.seal(*in.client_secret));
  if (in.basic_token_auth) i.basic_token_auth = *in.basic_token_auth;
  if (in.api_key)
    i.sealed_api_key = in.api_key->empty() ? std::nullopt : std::optional(vault_.seal(*in.api_key));
  if (in.api_key_location) {
    if (!in.api_key_location->empty() && *in.api_key_location != "header" && *in.api_key_location != "query")
      throw ServiceError::invalid("apiKeyLocation", "apiKeyLocation must be header or query");
    i.api_key_location = *in.api_key_location;
  }
  if (in.api_key_name) i.api_key_name = *in.api_key_name;
  if (in.headers) {
    for (const auto& kv : *in.headers) {
      if (!kv.value().is_string()) throw ServiceError::invalid("headers", "header values must be strings");
      std::string_view name = kv.key();
      if (name.empty() || name.find_first_of(":\r\n ") != std::string_view::npos ||
          kv.value().get_string().find_first_of("\r\n") != boost::json::string::npos)
        throw ServiceError::invalid("headers", "header names and values must not contain line breaks");
    }
    i.sealed_headers =
        in.headers->empty() ? std::nullopt : std::optional(vault_.seal(boost::json::serialize(*in.headers)));
  }
  if (in.data) i.data_json = boost::json::serialize(*in.data);
  if (in.sandbox) i.sandbox = *in.sandbox;
}

void IntegrationService::changed(const std::string& id) {
  invalidate();
  auth::publish_change(store_, auth::topics::kIntegration, id);
}

store::Integration IntegrationService::create(const std::string& workspace_id, const IntegrationInput& in) {
  if (!in.name) throw ServiceError::invalid("name", "name is required");
  store::Integration i;
  i.id = vault::new_uuid();
  i.workspace_id = workspace_id;
  apply(i, in, true);
  i.created_at = i.updated_at = store::now_iso();
  try {
    store_.integrations().create(i);
  } catch (const store::ConflictError&) {
    throw ServiceError(
        "conflict", "an integration named '" + i.name + "' (or with slug '" + i.slug + "') already exists");
  }
  changed(i.id);
  return i;
}

std::optional<store::Integration> IntegrationService::find(const std::string& workspace_id,
                                                           const std::string& id_or_slug) {
  if (auto i = store_.integrations().get(id_or_slug); i && i->workspace_id == workspace_id) return i;
  if (auto i = store_.integrations().find_by_slug(workspace_id, id_or_slug)) return i;
  // A provider's default integration is made the first time it is asked for.
  if (registry_.get()->find(id_or_slug)) {
    ensure_defaults(workspace_id);
    return store_.integrations().find_by_slug(workspace_id, id_or_slug);
  }
  return std::nullopt;
}

store::Integration IntegrationService::get(const std::string& workspace_id, const std::string& id_or_slug) {
  auto i = find(workspace_id, id_or_slug);
  if (!i) throw ServiceError::not_found("integration " + id_or_slug);
  return *i;
}

store::Integration IntegrationService::update(const std::string& workspace_id, const std::string& id_or_slug,
                                              const IntegrationInput& in) {
  store::Integration i = get(workspace_id, id_or_slug);
  apply(i, in, false);
  i.updated_at = store::now_iso();
  try {
    store_.integrations().update(i);
  } catch (const store::ConflictError&) {
    throw ServiceError(
        "conflict", "an integration named '" + i.name + "' (or with slug '" + i.slug + "') already exists");
  }
  changed(i.id);
  return i;
}

void IntegrationService::remove(const std::string& workspace_id, const std::string& id_or_slug) {
  store::Integration i = get(workspace_id, id_or_slug);
  if (i.is_default)
    throw ServiceError("conflict", "the default integration of provider " + i.type +
                                       " cannot be deleted; delete its connections instead");
  store_.integrations().remove_with_connections(i.id);
  changed(i.id);
}

std::vector<store::Integration> IntegrationService::list(const store::IntegrationFilter& filter,
                                                         const store::Page& page) {
  ensure_defaults(filter.workspace_id);
  return store_.integrations().list(filter, page);
}

std::int64_t IntegrationService::count(const store::IntegrationFilter& filter) {
  ensure_defaults(filter.workspace_id);
  return store_.integrations().count(filter);
}

std::vector<store::ErrorSummary> IntegrationService::errors(const std::string& workspace_id,
                                                            const std::string& id_or_slug) {
  return store_.integrations().error_summary(get(workspace_id, id_or_slug).id);
}

void IntegrationService::set_icon(const std::string& workspace_id, const std::string& id_or_slug,
                                  const std::string& content_type, const std::string& bytes) {
  static const std::set<std::string> kTypes{"image/png", "image/jpeg", "image/svg+xml", "image/gif",
                                            "image/webp"};
  if (kTypes.count(content_type) == 0)
    throw ServiceError::invalid(
        "Content-Type", "an icon must be image/png, image/jpeg, image/svg+xml, image/gif or image/webp");
  if (bytes.empty() || bytes.size() > std::size_t{256} * 1024)
    throw ServiceError::invalid("icon", "an icon must be 1 byte to 256 KiB");
  store::Integration i = get(workspace_id, id_or_slug);
  i.icon = vault::base64_encode(bytes);
  i.icon_content_type = content_type;
  i.updated_at = store::now_iso();
  store_.integrations().update(i);
}

void IntegrationService::clear_icon(const std::string& workspace_id, const std::string& id_or_slug) {
  store::Integration i = get(workspace_id, id_or_slug);
  if (!i.icon) throw ServiceError::not_found("icon of integration " + id_or_slug);
  i.icon.reset();
  i.icon_content_type.clear();
  i.updated_at = store::now_iso();
  store_.integrations().update(i);
}

void IntegrationService::set_share(const std::string& workspace_id, const std::string& id_or_slug,
                                   const std::string& principal, int access_level) {
  if (principal.empty() || principal.size() > 200)
    throw ServiceError::invalid("principalId", "principalId is required");
  if (access_level < 0 || access_level > 3)
    throw ServiceError::invalid("accessLevel", "accessLevel must be 0 to 3");
  store::Integration i = get(workspace_id, id_or_slug);
  boost::json::array shares = boost::json::parse(i.shares_json).as_array();
  bool found = false;
  for (auto& s : shares)
    if (s.as_object().at("principalId") == boost::json::value(principal)) {
      s.as_object()["accessLevel"] = access_level;
      found = true;
    }
  if (!found)
    shares.push_back(boost::json::object{{"principalId", principal}, {"accessLevel", access_level}});
  i.shares_json = boost::json::serialize(shares);
  i.updated_at = store::now_iso();
  store_.integrations().update(i);
}

bool IntegrationService::remove_share(const std::string& workspace_id, const std::string& id_or_slug,
                                      const std::string& principal) {
  store::Integration i = get(workspace_id, id_or_slug);
  boost::json::array shares = boost::json::parse(i.shares_json).as_array();
  auto before = shares.size();
  shares.erase(std::remove_if(shares.begin(), shares.end(),
                              [&](const boost::json::value& s) {
                                return s.as_object().at("principalId") == boost::json::value(principal);
                              }),
               shares.end());
  if (shares.size() == before) return false;
  i.shares_json = boost::json::serialize(shares);
  i.updated_at = store::now_iso();
  store_.integrations().update(i);
  return true;
}

std::string IntegrationService::client_secret(const store::Integration& i) const {
  return i.sealed_client_secret ? vault_.open(*i.sealed_client_secret) : std::string();
}

std::string IntegrationService::api_key(const store::Integration& i) const {
  return i.sealed_api_key ? vault_.open(*i.sealed_api_key) : std::string();
}

boost::json::object IntegrationService::headers(const store::Integration& i) const {
  if (!i.sealed_headers) return {};
  auto v = boost::json::parse(vault_.open(*i.sealed_headers));
  return v.is_object() ? v.as_object() : boost::json::object{};
}

void IntegrationService::ensure_defaults(const std::string& workspace_id) {
  auto registry = registry_.get();
  const auto key = std::pair{workspace_id, registry_.generation()};
  {
    std::lock_guard lock(defaults_mutex_);
    if (defaults_done_.count(key) != 0) return;
  }
  for (const auto& plugin : registry->plugins()) {
    const auto& m = plugin->manifest;
    if (store_.integrations().find_by_slug(workspace_id, m.id)) continue;
    IntegrationInput in;
    in.name = m.name;
    in.slug = m.id;
    in.type = m.id;
    store::Integration i;
    i.id = vault::new_uuid();
    i.workspace_id = workspace_id;
    apply(i, in, true);
    i.is_default = true;
    i.created_at = i.updated_at = store::now_iso();
    try {
      store_.integrations().create(i);
    } catch (const store::ConflictError&) {
      i.name = m.name + " (default)";  // an operator already used the provider's name
      try {
        store_.integrations().create(i);
      } catch (const store::ConflictError&) {
        // made concurrently by another request: fine
      }
    }
  }
  std::lock_guard lock(defaults_mutex_);
  if (defaults_done_.size() > 100000) defaults_done_.clear();
  defaults_done_.insert(key);
}

}  // namespace plugboard::execute

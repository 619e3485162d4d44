#include "auth/audit_service.hpp"

#include "auth/page_cursor.hpp"
#include "auth/service_error.hpp"
#include "store/iso_time.hpp"
#include "vault/random.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace plugboard::auth {

namespace json = boost::json;

namespace {

std::string normalized(std::string_view name) {
  std::string n;
  for (const unsigned char c : name)
    if (std::isalnum(c)) n.push_back(static_cast<char>(std::tolower(c)));
  return n;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_headers(std::string_view field_name) { return normalized(field_name) == "headers"; }

// A fingerprint of a value no one should see: equal values give equal fingerprints, so a diff
// notices a change, and it is redacted before it is written anyway.
std::string fingerprint(std::string_view secret) {
  return "sha256:" + vault::sha256_hex(secret).substr(0, 16);
}

json::value fingerprint_or_null(const std::optional<std::string>& sealed) {
  return sealed ? json::value(fingerprint(*sealed)) : json::value(nullptr);
}

json::value parsed_or(const std::string& text, const json::value& fallback) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  return ec ? fallback : v;
}

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// Identity, not state: the entry carries both already.
bool is_identity(std::string_view field) { return field == "id" || field == "workspaceId"; }

// null, "", [] and {}: nothing worth listing when a resource is created or deleted.
bool is_blank(const json::value& v) {
  return v.is_null() || (v.is_string() && v.get_string().empty()) ||
         (v.is_array() && v.get_array().empty()) || (v.is_object() && v.get_object().empty());
}

constexpr std::array kActions{"create", "update", "delete", "revoke"};

// The opaque cursor holds "<created_at>|<seq>" of the last entry of a page.
std::string encode_cursor(const store::AuditEntry& e) {
  return encode_page_cursor(e.created_at, std::to_string(e.seq));
}

store::AuditPosition decode_cursor(std::string cursor) {
  const auto bad = [] { return ServiceError::invalid("cursor", "cursor is not one this server issued"); };
  auto parts = decode_page_cursor(std::move(cursor));
  if (!parts) throw bad();
  store::AuditPosition p;
  p.created_at = parts->first;
  const std::string& seq = parts->second;
  auto [ptr, ec] = std::from_chars(seq.data(), seq.data() + seq.size(), p.seq);
  if (ec != std::errc() || ptr != seq.data() + seq.size() || p.seq < 0) throw bad();
  return p;
}

}  // namespace

bool looks_secret(std::string_view field_name) {
  const std::string n = normalized(field_name);
  if (n.empty()) return false;
  // Settings about a secret rather than the secret: tokenUri, apiKeyName, apiKeyLocation,
  // secretType, tokenUrl, and the flag basicTokenAuth.
  if (n == "basictokenauth") return false;
  for (const std::string_view about : {"uri", "url", "name", "location", "type", "prefix"})
    if (ends_with(n, about)) return false;
  for (const std::string_view word :
       {"secret", "token", "password", "passwd", "passphrase", "credential", "apikey", "accesskey",
        "privatekey", "signingkey", "authorization", "cookie", "sealed"})
    if (n.find(word) != std::string::npos) return true;
  return n == "key" || ends_with(n, "key") || n == "pass" || n == "pwd";
}

json::value redact_secrets(std::string_view field_name, const json::value& value) {
  if (value.is_null()) return nullptr;
  if (looks_secret(field_name)) return kRedacted;
  if (is_headers(field_name)) {
    if (!value.is_object()) return kRedacted;
    json::object names;  // header names stay visible; every value may carry a credential
    for (const auto& kv : value.get_object()) names[kv.key()] = kRedacted;
    return names;
  }
  if (value.is_object()) return redact_secrets(value.get_object());
  if (value.is_array()) {
    json::array out;
    for (const auto& item : value.get_array()) out.push_back(redact_secrets(field_name, item));
    return out;
  }
  return value;
}

json::object redact_secrets(const json::object& fields) {
  json::object out;
  for (const auto& kv : fields) out[kv.key()] = redact_secrets(kv.key(), kv.value());
  return out;
}

json::object audit_changes(std::string_view action, const json::object& old_values,
                           const json::object& new_values) {
  json::object changes;
  if (action == "create") {
    for (const auto& kv : new_values)
      if (!is_identity(kv.key()) && !is_blank(kv.value()))
        changes[kv.key()] = json::object{{"new", redact_secrets(kv.key(), kv.value())}};
    return changes;
  }
  if (action == "delete") {
    for (const auto& kv : old_values)
      if (!is_identity(kv.key()) && !is_blank(kv.value()))
        changes[kv.key()] = json::object{{"old", redact_secrets(kv.key(), kv.value())}};
    return changes;
  }
  static const json::value kAbsent = nullptr;
  auto field = [&](const json::object& o, std::string_view k) -> const json::value& {
    const auto* v = o.if_contains(k);
    return v != nullptr ? *v : kAbsent;
  };
  auto consider = [&](std::string_view k) {
    if (is_identity(k) || changes.contains(k)) return;
    const json::value& before = field(old_values, k);
    const json::value& after = field(new_values, k);
    if (before == after) return;
    changes[k] = json::object{{"old", redact_secrets(k, before)}, {"new", redact_secrets(k, after)}};
  };
  for (const auto& kv : old_values) consider(kv.key());
  for (const auto& kv : new_values) consider(kv.key());
  return changes;
}

json::object audit_view(const store::Integration& i, const std::optional<json::object>& headers) {
  json::value header_view = fingerprint_or_null(i.sealed_headers);
  if (headers) {
    json::object names;
    for (const auto& kv : *headers)
      names[kv.key()] = fingerprint(kv.value().is_string() ? std::string_view(kv.value().get_string())
                                                           : std::string_view(json::serialize(kv.value())));
    header_view = std::move(names);
  }
  json::value icon = nullptr;
  if (i.icon)
    icon = json::object{{"contentType", i.icon_content_type}, {"sha256", vault::sha256_hex(*i.icon)}};
  return {{"workspaceId", i.workspace_id},
          {"name", i.name},
          {"slug", i.slug},
          {"type", i.type},
          {"category", i.category},
          {"description", i.description},
          {"mode", i.mode},
          {"authType", i.auth_type},
          {"scope", i.scope},
          {"authUri", i.auth_uri},
          {"tokenUri", i.token_uri},
          {"revocationUri", i.revocation_uri},
          {"apiBaseUri", i.api_base_uri},
          {"clientId", i.client_id},
          {"clientSecret", fingerprint_or_null(i.sealed_client_secret)},
          {"basicTokenAuth", i.basic_token_auth},
          {"apiKey", fingerprint_or_null(i.sealed_api_key)},
          {"apiKeyLocation", i.api_key_location},
          {"apiKeyName", i.api_key_name},
          {"imageUrl", i.image_url},
          {"headers", std::move(header_view)},
          {"data", parsed_or(i.data_json, json::object{})},
          {"sharing", parsed_or(i.shares_json, json::array{})},
          {"sandbox", i.sandbox},
          {"default", i.is_default},
          {"icon", std::move(icon)}};
}

json::object audit_view(const store::Connection& c) {
  return {{"workspaceId", c.workspace_id},
          {"projectId", c.project_id},
          {"integrationId", c.integration_id},
          {"provider", c.provider},
          {"name", c.name},
          {"authType", c.auth_type},
          {"status", c.status},
          {"statusReason", c.status_reason},
          {"configuration", parsed_or(c.configuration_json, json::object{})},
          {"credentials", fingerprint_or_null(c.sealed_credentials)}};
}

json::object audit_view(const store::ApiKey& k) {
  json::value rate_limit = nullptr;
  if (k.rate_limit)
    rate_limit = json::object{{"requests_per_hour", k.rate_limit->requests_per_hour},
                              {"burst_limit", k.rate_limit->burst_limit}};
  return {{"workspaceId", k.workspace_id},
          {"name", k.name},
          {"prefix", k.prefix},
          {"permissions", json::object{{"operations", strings(k.operations)},
                                       {"integrations", strings(k.integrations)},
                                       {"projects", strings(k.projects)}}},
          {"expires_at", k.expires_at ? json::value(*k.expires_at) : json::value(nullptr)},
          {"rate_limit", std::move(rate_limit)},
          {"revoked", k.revoked}};
}

std::string AuditService::actor_label(const Principal& who) {
  try {
    if (auto k = store_.api_keys().get(who.key_id)) return k->name + " (" + k->prefix + ")";
  } catch (const store::StoreError& e) {
    spdlog::warn("audit: cannot read API key {} for its name: {}", who.key_id, e.what());
  }
  return who.key_id;
}

void AuditService::record(const Principal* who, std::string request_id, std::string action,
                          std::string resource_type, std::string resource_id, const json::object& old_values,
                          const json::object& new_values) {
  store::AuditEntry e;
  e.request_id = std::move(request_id);
  e.action = std::move(action);
  e.resource_type = std::move(resource_type);
  e.resource_id = std::move(resource_id);
  try {
    json::object changes = audit_changes(e.action, old_values, new_values);
    if (changes.empty() && e.action == "update") return;  // nothing changed, nothing to audit

    auto text_of = [&](const char* field) -> std::string {
      for (const json::object* o : {&new_values, &old_values})
        if (const auto* v = o->if_contains(field); v != nullptr && v->is_string())
          return std::string(v->get_string());
      return {};
    };
    e.id = vault::new_uuid();
    if (who != nullptr) {
      e.workspace_id = who->workspace_id;
      e.actor_key_id = who->key_id;
      e.actor_label = actor_label(*who);
    } else {
      e.workspace_id = text_of("workspaceId");
      e.actor_label = "system";
    }
    if (e.workspace_id.empty())
      throw std::invalid_argument("an audit entry needs a principal or a workspaceId in its values");
    e.integration_id = e.resource_type == "integration" ? e.resource_id : text_of("integrationId");
    e.changes_json = json::serialize(changes);
    e.created_at = store::now_iso();
    store_.audit().append(e);
  } catch (const std::exception& ex) {
    spdlog::error("request_id={} audit entry for {} {} {} could not be written: {}", e.request_id, e.action,
                  e.resource_type, e.resource_id, ex.what());
    throw ServiceError("internal",
                       "the change was applied but could not be recorded in the audit log; see the "
                       "server log for request " +
                           e.request_id);
  }
}

AuditPage AuditService::list(const store::AuditFilter& filter, const std::optional<std::string>& cursor,
                             std::int64_t limit) {
  if (limit < 1 || limit > 500)
    throw ServiceError::invalid("limit", "limit must be an integer from 1 to 500");
  if (filter.action && std::find(kActions.begin(), kActions.end(), *filter.action) == kActions.end())
    throw ServiceError::invalid("action", "action must be one of create, update, delete, revoke");
  std::optional<store::AuditPosition> after;
  if (cursor) after = decode_cursor(*cursor);
  AuditPage page;
  page.entries = store_.audit().list(filter, after, limit + 1);  // one more: is there a next page?
  if (static_cast<std::int64_t>(page.entries.size()) > limit) {
    page.entries.resize(static_cast<std::size_t>(limit));
    page.next_cursor = encode_cursor(page.entries.back());
  }
  return page;
}

json::object AuditService::render(const store::AuditEntry& e) {
  boost::system::error_code ec;
  auto changes = json::parse(e.changes_json, ec);
  return {{"id", e.id},
          {"timestamp", e.created_at},
          {"user", e.actor_key_id.empty() ? std::string("system") : e.actor_label},
          {"userKeyId", e.actor_key_id.empty() ? json::value(nullptr) : json::value(e.actor_key_id)},
          {"action", e.action},
          {"resourceType", e.resource_type},
          {"resourceId", e.resource_id},
          {"changes", ec || !changes.is_object() ? json::value(json::object{}) : changes},
          {"requestId", e.request_id}};
}

}  // namespace plugboard::auth

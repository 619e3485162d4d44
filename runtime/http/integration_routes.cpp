// Integrations (seed 002 fields, seed 001 semantics): CRUD by id or slug, icons, shares,
// templates to clone one, its connections and an error summary. Secrets come back redacted.
#include "auth/audit_service.hpp"
#include "http/request_parsing.hpp"
#include "http/router.hpp"
#include "http/services.hpp"
#include "vault/random.hpp"

namespace plugboard::http {
namespace {

namespace json = boost::json;

constexpr const char* kRedacted = "[REDACTED]";

json::object links(const store::Integration& i) {
  const std::string self = "/api/v2/integrations/" + i.id;
  return {{"self", {{"href", self}}},
          {"icon", {{"href", self + "/icon"}}},
          {"connections", {{"href", self + "/connections"}}},
          {"shares", {{"href", self + "/shares"}}},
          {"template", {{"href", self + "/template"}}},
          {"authorize", {{"href", "/api/v2/oauth/" + i.id + "/authorize-url"}}}};
}

// The shape shared by a full rendering and a template (which has no identity or timestamps).
json::object settings(const store::Integration& i, const json::object& header_names) {
  json::object o{{"name", i.name},
                 {"slug", i.slug},
                 {"type", i.type},
                 {"category", i.category},
                 {"description", i.description},
                 {"mode", i.mode},
                 {"authType", execute::auth_type_for_api(i.auth_type)},
                 {"scope", i.scope},
                 {"authUri", i.auth_uri},
                 {"tokenUri", i.token_uri},
                 {"revocationUri", i.revocation_uri},
                 {"apiBaseUri", i.api_base_uri},
                 {"clientId", i.client_id},
                 {"basicTokenAuth", i.basic_token_auth},
                 {"apiKeyLocation", i.api_key_location},
                 {"apiKeyName", i.api_key_name},
                 {"imageUrl", i.image_url},
                 {"headers", header_names},
                 {"sandbox", i.sandbox}};
  boost::system::error_code ec;
  auto data = json::parse(i.data_json, ec);
  o["data"] = ec ? json::value(json::object{}) : data;
  return o;
}

json::object render(const store::Integration& i, execute::IntegrationService& svc) {
  json::object headers;
  for (const auto& kv : svc.headers(i)) headers[kv.key()] = kRedacted;
  json::object o{{"id", i.id}};
  for (auto& kv : settings(i, headers)) o.emplace(kv.key(), std::move(kv.value()));
  if (i.sealed_client_secret) o["clientSecret"] = kRedacted;
  if (i.sealed_api_key) o["apiKey"] = kRedacted;
  o["default"] = i.is_default;
  boost::system::error_code ec;
  auto shares = json::parse(i.shares_json, ec);
  o["sharing"] = ec ? json::value(json::array{}) : shares;
  o["hasIcon"] = i.icon.has_value();
  o["createdAt"] = i.created_at;
  o["updatedAt"] = i.updated_at;
  o["_links"] = links(i);
  return o;
}

std::optional<bool> opt_bool(const json::object& o, const char* field) {
  const auto* v = o.if_contains(field);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_bool()) throw ServiceError::invalid(field, std::string(field) + " must be true or false");
  return v->get_bool();
}

execute::IntegrationInput input_from(const json::object& b) {
  static const std::set<std::string_view> kKnown{
      "name",          "slug",           "type",       "category",     "description",
      "mode",          "authType",       "scope",      "authUri",      "tokenUri",
      "revocationUri", "apiBaseUri",     "clientId",   "clientSecret", "basicTokenAuth",
      "apiKey",        "apiKeyLocation", "apiKeyName", "imageUrl",     "headers",
      "data",          "sandbox",        "id"};
  for (const auto& kv : b)
    if (kKnown.count(kv.key()) == 0)
      throw ServiceError::invalid(std::string(kv.key()), "unknown field " + std::string(kv.key()));
  execute::IntegrationInput in;
  in.name = opt_string(b, "name");
  in.slug = opt_string(b, "slug");
  in.type = opt_string(b, "type");
  in.category = opt_string(b, "category");
  in.description = opt_string(b, "description");
  in.mode = opt_string(b, "mode");
  in.auth_type = opt_string(b, "authType");
  in.scope = opt_string(b, "scope");
  in.auth_uri = opt_string(b, "authUri");
  in.token_uri = opt_string(b, "tokenUri");
  in.revocation_uri = opt_string(b, "revocationUri");
  in.api_base_uri = opt_string(b, "apiBaseUri");
  in.client_id = opt_string(b, "clientId");
  in.client_secret = opt_string(b, "clientSecret");
  in.api_key = opt_string(b, "apiKey");
  in.api_key_location = opt_string(b, "apiKeyLocation");
  in.api_key_name = opt_string(b, "apiKeyName");
  in.image_url = opt_string(b, "imageUrl");
  in.basic_token_auth = opt_bool(b, "basicTokenAuth");
  in.sandbox = opt_bool(b, "sandbox");
  in.headers = opt_object(b, "headers");
  in.data = opt_object(b, "data");
  return in;
}

// The integration as the audit log sees it: header values only as fingerprints.
json::object audited(const store::Integration& i, execute::IntegrationService& svc) {
  return auth::audit_view(i, svc.headers(i));
}

void audit(Services& s, Exchange& ex, const char* action, const std::string& id, const json::object& before,
           const json::object& after) {
  s.audit.record(ex.principal.get(), ex.request_id(), action, "integration", id, before, after);
}

}  // namespace

void add_integration_routes(Router& r, Services& s) {
  r.add("GET", "/api/v2/integrations", Access::read, [&s](Exchange& ex) {
    store::IntegrationFilter f;
    f.workspace_id = ex.principal->workspace_id;
    f.q = ex.query("q");
    f.type = ex.query("type");
    if (auto sb = ex.query("sandbox")) {
      if (*sb != "true" && *sb != "false")
        throw ServiceError::invalid("sandbox", "sandbox must be true or false");
      f.sandbox = *sb == "true";
    }
    const auto page = page_from_query(ex);
    json::array list;
    for (const auto& i : s.integrations.list(f, page)) list.push_back(render(i, s.integrations));
    const std::string body = json::serialize(json::object{{"integrations", std::move(list)},
                                                          {"total", s.integrations.count(f)},
                                                          {"limit", page.limit},
                                                          {"offset", page.offset}});
    // A client that already has this exact list gets 304 and no body.
    const std::string etag = "\"" + vault::sha256_hex(body).substr(0, 32) + "\"";
    ex.set_header("ETag", etag);
    if (ex.header("If-None-Match") == etag) return ex.send_text(304, "application/json", "");
    ex.send_text(200, "application/json; charset=utf-8", body);
  });

  r.add("POST", "/api/v2/integrations", Access::admin, [&s](Exchange& ex) {
    auto body = require_object_body(ex);
    auto created = s.integrations.create(ex.principal->workspace_id, input_from(body));
    audit(s, ex, "create", created.id, {}, audited(created, s.integrations));
    ex.send_json(201, render(created, s.integrations));
  });

  // A template: the settings without identity or secrets; POSTing it to /import makes a clone.
  r.add("POST", "/api/v2/integrations/import", Access::admin, [&s](Exchange& ex) {
    auto body = require_object_body(ex);
    auto tmpl = opt_object(body, "template");
    if (!tmpl)
      throw ServiceError::invalid("template",
                                  "template is required (from GET /api/v2/integrations/{id}/template)");
    json::object fields = *tmpl;
    fields.erase("headers");  // a template carries header names only; values are secrets
    if (auto name = opt_string(body, "name")) fields["name"] = *name;
    if (auto slug = opt_string(body, "slug"))
      fields["slug"] = *slug;
    else
      fields.erase("slug");
    auto created = s.integrations.create(ex.principal->workspace_id, input_from(fields));
    audit(s, ex, "create", created.id, {}, audited(created, s.integrations));
    ex.send_json(201, render(created, s.integrations));
  });

  r.add("GET", "/api/v2/integrations/{id}", Access::read, [&s](Exchange& ex) {
    ex.send_json(200, render(s.integrations.get(ex.principal->workspace_id, ex.param("id")), s.integrations));
  });

  for (const char* method : {"PUT", "PATCH"})
    r.add(method, "/api/v2/integrations/{id}", Access::admin, [&s](Exchange& ex) {
      auto body = require_object_body(ex);
      auto in = input_from(body);
      auto before = audited(s.integrations.get(ex.principal->workspace_id, ex.param("id")), s.integrations);
      auto updated = s.integrations.update(ex.principal->workspace_id, ex.param("id"), in);
      audit(s, ex, "update", updated.id, before, audited(updated, s.integrations));
      ex.send_json(200, render(updated, s.integrations));
    });

  r.add("DELETE", "/api/v2/integrations/{id}", Access::admin, [&s](Exchange& ex) {
    const auto gone = s.integrations.get(ex.principal->workspace_id, ex.param("id"));
    const auto before = audited(gone, s.integrations);
    if (gone.is_default)  // refused by remove() below; revoke nothing first
      return s.integrations.remove(ex.principal->workspace_id, ex.param("id"));
    // Its connections go with it, so their tokens are revoked at the provider first.
    s.tokens.revoke_integration(ex.principal->workspace_id, gone.id, std::chrono::seconds(10));
    s.integrations.remove(ex.principal->workspace_id, ex.param("id"));
    audit(s, ex, "delete", gone.id, before, {});
    ex.send_text(204, "application/json", "");
  });

  r.add("GET", "/api/v2/integrations/{id}/template", Access::read, [&s](Exchange& ex) {
    auto i = s.integrations.get(ex.principal->workspace_id, ex.param("id"));
    json::object headers;
    for (const auto& kv : s.integrations.headers(i)) headers[kv.key()] = kRedacted;
    json::object t = settings(i, headers);
    t["name"] = "Copy of " + i.name;
    t.erase("slug");
    ex.send_json(200, json::object{{"template", std::move(t)}, {"template_version", 1}});
  });

  r.add("GET", "/api/v2/integrations/{id}/connections", Access::read, [&s](Exchange& ex) {
    auto i = s.integrations.get(ex.principal->workspace_id, ex.param("id"));
    store::ConnectionFilter f;
    f.workspace_id = ex.principal->workspace_id;
    f.integration_id = i.id;
    f.project_ids = ex.principal->projects;
    const auto page = page_from_query(ex);
    json::array list;
    for (const auto& c : s.connections.list(f, page))
      list.push_back(json::object{{"id", c.id},
                                  {"name", c.name},
                                  {"status", c.status},
                                  {"project_id", c.project_id},
                                  {"auth_type", c.auth_type},
                                  {"created_on", c.created_at}});
    ex.send_json(200, json::object{{"connections", std::move(list)}, {"total", s.connections.count(f)}});
  });

  r.add("GET", "/api/v2/integrations/{id}/errors", Access::admin, [&s](Exchange& ex) {
    json::array list;
    for (const auto& e : s.integrations.errors(ex.principal->workspace_id, ex.param("id")))
      list.push_back(json::object{{"action", e.action},
                                  {"errorCode", e.error_code},
                                  {"numError", e.count},
                                  {"lastErrorAt", e.last_at}});
    ex.send_json(200, json::object{{"errors", std::move(list)}});
  });

  r.add("GET", "/api/v2/integrations/{id}/icon", Access::read, [&s](Exchange& ex) {
    auto i = s.integrations.get(ex.principal->workspace_id, ex.param("id"));
    if (!i.icon) throw ServiceError::not_found("icon of integration " + ex.param("id"));
    ex.set_header("Cache-Control", "private, max-age=300");
    ex.send_text(200, i.icon_content_type, vault::base64_decode(*i.icon));
  });

  r.add("PUT", "/api/v2/integrations/{id}/icon", Access::admin, [&s](Exchange& ex) {
    std::string type = ex.header("Content-Type");
    type = type.substr(0, type.find(';'));
    const auto before = s.integrations.get(ex.principal->workspace_id, ex.param("id"));
    s.integrations.set_icon(ex.principal->workspace_id, ex.param("id"), type, ex.body());
    const auto after = s.integrations.get(ex.principal->workspace_id, before.id);
    audit(s, ex, "update", before.id, audited(before, s.integrations), audited(after, s.integrations));
    ex.send_text(204, "application/json", "");
  });

  r.add("DELETE", "/api/v2/integrations/{id}/icon", Access::admin, [&s](Exchange& ex) {
    const auto before = s.integrations.get(ex.principal->workspace_id, ex.param("id"));
    s.integrations.clear_icon(ex.principal->workspace_id, ex.param("id"));
    const auto after = s.integrations.get(ex.principal->workspace_id, before.id);
    audit(s, ex, "update", before.id, audited(before, s.integrations), audited(after, s.integrations));
    ex.send_text(204, "application/json", "");
  });

  r.add("GET", "/api/v2/integrations/{id}/shares", Access::read, [&s](Exchange& ex) {
    auto i = s.integrations.get(ex.principal->workspace_id, ex.param("id"));
    ex.send_json(200, json::object{{"shares", json::parse(i.shares_json)}});
  });

  r.add("PUT", "/api/v2/integrations/{id}/shares/{principal}", Access::admin, [&s](Exchange& ex) {
    auto body = require_object_body(ex);
    const auto* level = body.if_contains("accessLevel");
    if (level == nullptr || !level->is_int64())
      throw ServiceError::invalid("accessLevel", "accessLevel must be an integer 0 to 3");
    const auto before = s.integrations.get(ex.principal->workspace_id, ex.param("id"));
    s.integrations.set_share(ex.principal->workspace_id, ex.param("id"), ex.param("principal"),
                             static_cast<int>(level->get_int64()));
    const auto after = s.integrations.get(ex.principal->workspace_id, before.id);
    audit(s, ex, "update", before.id, audited(before, s.integrations), audited(after, s.integrations));
    ex.send_json(200,
                 json::object{{"principalId", ex.param("principal")}, {"accessLevel", level->get_int64()}});
  });

  r.add("DELETE", "/api/v2/integrations/{id}/shares/{principal}", Access::admin, [&s](Exchange& ex) {
    const auto before = s.integrations.get(ex.principal->workspace_id, ex.param("id"));
    if (!s.integrations.remove_share(ex.principal->workspace_id, ex.param("id"), ex.param("principal")))
      throw ServiceError::not_found("share for " + ex.param("principal"));
    const auto after = s.integrations.get(ex.principal->workspace_id, before.id);
    audit(s, ex, "update", before.id, audited(before, s.integrations), audited(after, s.integrations));
    ex.send_text(204, "application/json", "");
  });
}

}  // namespace plugboard::http

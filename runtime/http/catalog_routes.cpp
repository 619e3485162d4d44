// The catalog: providers from loaded plugins, rendered from their manifests.
// GET /api/integrations/ keeps seed 000's shape to the letter; /api/v2/catalog adds detail.
#include "http/router.hpp"
#include "http/services.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace plugboard::http {
namespace {

namespace json = boost::json;

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

// Seed 000's "List Available Integrations" entry.
json::object listing_entry(const plugins::Manifest& m) {
  return {{"id", m.id},
          {"name", m.name},
          {"description", m.description},
          {"category", m.category},
          {"status", "available"},
          {"requires_oauth", m.requires_oauth()},
          {"supported_features", strings(m.features)}};
}

json::object summary(const plugins::Manifest& m) {
  json::object o = listing_entry(m);
  o["version"] = m.version;
  json::array auth, actions, triggers;
  for (const auto& a : m.auth) auth.emplace_back(a.type);
  for (const auto& a : m.actions) actions.emplace_back(a.slug);
  for (const auto& t : m.triggers) triggers.emplace_back(t.slug);
  o["auth_types"] = std::move(auth);
  o["actions"] = std::move(actions);
  o["triggers"] = std::move(triggers);
  if (!m.icon.empty()) o["icon_url"] = "/api/v2/catalog/" + m.id + "/icon";
  return o;
}

json::object descriptor(const plugins::Manifest& m) {
  json::object o = summary(m);
  json::array auth;
  for (const auto& a : m.auth) {
    json::object t{{"type", a.type}};
    json::array fields;
    for (const auto& f : a.fields)
      fields.push_back(json::object{
          {"name", f.name}, {"description", f.description}, {"secret", f.secret}, {"required", f.required}});
    t["fields"] = std::move(fields);
    if (a.type == "oauth2") {
      t["authorization_url"] = a.authorization_url;
      t["token_url"] = a.token_url;
      t["scopes"] = strings(a.scopes);
    }
    auth.push_back(std::move(t));
  }
  o["auth_types"] = std::move(auth);
  json::array actions;
  for (const auto& a : m.actions) {
    json::object x{{"slug", a.slug},
                   {"name", a.name},
                   {"description", a.description},
                   {"idempotent", a.idempotent},
                   {"parameters", a.parameters->source()}};
    if (a.output) x["output"] = a.output->source();
    actions.push_back(std::move(x));
  }
  o["actions"] = std::move(actions);
  json::array triggers;
  for (const auto& t : m.triggers)
    triggers.push_back(
        json::object{{"slug", t.slug}, {"name", t.name}, {"description", t.description}, {"kind", t.kind}});
  o["triggers"] = std::move(triggers);
  return o;
}

bool contains_ci(const std::string& hay, const std::string& needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != hay.end();
}

std::string content_type_for(const std::filesystem::path& p) {
  auto ext = p.extension().string();
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  return "application/octet-stream";
}

}  // namespace

void add_catalog_routes(Router& r, Services& s) {
  r.add("GET", "/api/integrations", Access::read, [&s](Exchange& ex) {
    json::array list;
    for (const auto& p : s.registry.get()->plugins()) list.push_back(listing_entry(p->manifest));
    ex.send_json(200, json::object{{"integrations", std::move(list)}});
  });

  r.add("GET", "/api/v2/catalog", Access::read, [&s](Exchange& ex) {
    auto category = ex.query("category");
    auto q = ex.query("q");
    json::array list;
    for (const auto& p : s.registry.get()->plugins()) {
      const auto& m = p->manifest;
      if (category && m.category != *category) continue;
      if (q && !contains_ci(m.name, *q) && !contains_ci(m.description, *q) && !contains_ci(m.id, *q))
        continue;
      list.push_back(summary(m));
    }
    const auto total = list.size();
    ex.send_json(200, json::object{{"providers", std::move(list)}, {"total", total}});
  });

  r.add("GET", "/api/v2/catalog/{provider}", Access::read, [&s](Exchange& ex) {
    auto p = s.registry.get()->find(ex.param("provider"));
    if (!p) return ex.send_error(404, "not_found", "no provider '" + ex.param("provider") + "' is loaded");
    ex.send_json(200, descriptor(p->manifest));
  });

  r.add("GET", "/api/v2/catalog/{provider}/icon", Access::read, [&s](Exchange& ex) {
    auto p = s.registry.get()->find(ex.param("provider"));
    if (!p) return ex.send_error(404, "not_found", "no provider '" + ex.param("provider") + "' is loaded");
    if (p->manifest.icon.empty())
      return ex.send_error(404, "not_found", "provider " + p->id() + " has no icon");
    auto file = p->manifest.file.parent_path() / p->manifest.icon;
    std::ifstream in(file, std::ios::binary);
    if (!in) return ex.send_error(404, "not_found", "the icon of provider " + p->id() + " is missing");
    std::ostringstream data;
    data << in.rdbuf();
    ex.set_header("Cache-Control", "public, max-age=3600");
    ex.send_text(200, content_type_for(file), data.str());
  });
}

}  // namespace plugboard::http

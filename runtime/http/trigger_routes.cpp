// Trigger subscriptions (/api/v2/triggers) and the hooks providers call (/hooks/{id}).
#include "events/trigger_service.hpp"
#include "http/request_parsing.hpp"
#include "http/router.hpp"
#include "http/services.hpp"

#include <Poco/URI.h>

#include <algorithm>
#include <cctype>

namespace plugboard::http {
namespace {

namespace json = boost::json;

std::optional<std::int64_t> opt_int(const json::object& body, const char* field) {
  const auto* v = body.if_contains(field);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_int64()) throw ServiceError::invalid(field, "must be an integer");
  return v->get_int64();
}

events::HookRequest hook_request(Exchange& ex) {
  events::HookRequest r;
  auto& req = ex.request();
  r.method = req.getMethod();
  Poco::URI uri(req.getURI());
  r.path = uri.getPath();
  for (const auto& [k, v] : uri.getQueryParameters()) r.query[k] = v;
  for (const auto& [k, v] : req) {
    std::string name = k;
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    r.headers[name] = v;
  }
  r.body = ex.body();
  return r;
}

}  // namespace

void add_trigger_routes(Router& r, Services& s) {
  r.add("POST", "/api/v2/triggers", Access::admin, [&s](Exchange& ex) {
    auto body = require_object_body(ex);
    reject_unknown(body, {"connection_id", "project_id", "trigger", "name", "config", "interval_seconds"});
    events::NewTrigger in;
    in.connection_id = req_string(body, "connection_id", 64);
    in.project_id = opt_string(body, "project_id").value_or("");
    in.trigger = req_string(body, "trigger", 64);
    in.name = opt_string(body, "name").value_or("");
    if (in.name.size() > 200) throw ServiceError::invalid("name", "must be at most 200 characters");
    in.config = opt_object(body, "config").value_or(json::object{});
    in.interval_seconds = opt_int(body, "interval_seconds");
    auto t = s.triggers.subscribe(*ex.principal, in, ex.request_id());
    s.trigger_due();
    ex.send_json(201, s.triggers.view(t));
  });

  r.add("GET", "/api/v2/triggers", Access::read, [&s](Exchange& ex) {
    const auto page = page_from_query(ex);
    store::TriggerFilter f;
    f.workspace_id = ex.principal->workspace_id;
    f.project_id = ex.query("project_id");
    f.connection_id = ex.query("connection_id");
    f.provider = ex.query("provider");
    f.status = ex.query("status");
    f.project_ids = ex.principal->projects;
    json::array list;
    for (const auto& t : s.triggers.list(f, page)) list.push_back(s.triggers.view(t));
    ex.send_json(200, json::object{{"triggers", std::move(list)},
                                   {"total", s.triggers.count(f)},
                                   {"limit", page.limit},
                                   {"offset", page.offset}});
  });

  r.add("GET", "/api/v2/triggers/{id}", Access::read, [&s](Exchange& ex) {
    auto t = s.triggers.get(*ex.principal, ex.param("id"));
    if (!t) throw ServiceError::not_found("trigger subscription " + ex.param("id"));
    ex.send_json(200, s.triggers.view(*t));
  });

  r.add("PATCH", "/api/v2/triggers/{id}", Access::admin, [&s](Exchange& ex) {
    auto body = require_object_body(ex);
    reject_unknown(body, {"name", "config", "status", "interval_seconds"});
    events::TriggerPatch p;
    p.name = opt_string(body, "name");
    p.config = opt_object(body, "config");
    p.status = opt_string(body, "status");
    p.interval_seconds = opt_int(body, "interval_seconds");
    auto t = s.triggers.update(*ex.principal, ex.param("id"), p);
    s.trigger_due();
    ex.send_json(200, s.triggers.view(t));
  });

  r.add("DELETE", "/api/v2/triggers/{id}", Access::admin, [&s](Exchange& ex) {
    if (!s.triggers.unsubscribe(*ex.principal, ex.param("id"), ex.request_id()))
      throw ServiceError::not_found("trigger subscription " + ex.param("id"));
    ex.send_text(204, "text/plain", "");
  });

  // Providers call these without an API key: the plugin verifies what they send.
  for (const char* method : {"POST", "GET", "PUT"}) {
    r.add(method, "/hooks/{id}", Access::open, [&s](Exchange& ex) {
      auto answer = s.triggers.handle_hook(ex.param("id"), hook_request(ex), ex.request_id());
      std::string type = "text/plain; charset=utf-8";
      for (const auto& [k, v] : answer.headers) {
        std::string lower = k;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        if (lower == "content-type")
          type = v;
        else if (lower != "content-length" && lower != "transfer-encoding" && lower != "connection")
          ex.set_header(k, v);
      }
      ex.send_text(answer.status, type, answer.body);
    });
  }
}

}  // namespace plugboard::http

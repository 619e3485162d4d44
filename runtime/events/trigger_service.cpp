#include "events/trigger_service.hpp"

#include "auth/service_error.hpp"
#include "store/iso_time.hpp"
#include "vault/random.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

namespace plugboard::events {
namespace {

namespace json = boost::json;
using Clock = std::chrono::system_clock;

constexpr const char* kRedacted = "[REDACTED]";

json::object parse_object(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  return !ec && v.is_object() ? std::move(v.get_object()) : json::object{};
}

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string later(std::chrono::seconds s) { return store::to_iso(Clock::now() + s); }

// The plugin's own error code when it gave one (INVALID_SIGNATURE), else the host's.
std::string error_code(const execute::ExecuteError& e) {
  const auto* c = e.details.if_contains("error_code");
  return c != nullptr && c->is_string() ? std::string(c->get_string()) : e.code;
}

HookResponse json_answer(int status, const std::string& code, const std::string& message) {
  HookResponse r;
  r.status = status;
  r.headers["Content-Type"] = "application/json";
  r.body = json::serialize(json::object{{"error", json::object{{"code", code}, {"message", message}}}});
  return r;
}

}  // namespace

TriggerService::TriggerService(store::Store& store, const vault::Vault& vault,
                               const plugins::RegistryHandle& registry,
                               execute::ConnectionService& connections, execute::ExecuteService& execute,
                               EventSink& events, TriggerOptions options)
    : store_(store),
      vault_(vault),
      registry_(registry),
      connections_(connections),
      execute_(execute),
      events_(events),
      options_(options) {}

const plugins::Trigger* TriggerService::manifest_trigger(const std::string& provider,
                                                         const std::string& slug) const {
  auto plugin = registry_.get()->find(provider);
  return plugin ? plugin->manifest.find_trigger(slug) : nullptr;
}

execute::TriggerScope TriggerService::scope_for(const store::TriggerSubscription& t) const {
  execute::TriggerScope scope;
  scope.subscription_id = t.id;
  scope.trigger = t.trigger;
  scope.hook_url = hook_url(t.id);
  scope.config = parse_object(t.config_json);
  scope.state = t.state_json.empty() ? "null" : t.state_json;
  if (t.sealed_secrets) {
    try {
      scope.secrets = parse_object(vault_.open(*t.sealed_secrets));
    } catch (const std::exception& e) {
      // The hook then runs without them and fails its own check, visibly.
      spdlog::error("trigger subscription {}: secrets cannot be decrypted: {}", t.id, e.what());
    }
  }
  return scope;
}

std::int64_t TriggerService::checked_interval(std::int64_t seconds) const {
  if (seconds < options_.min_interval_seconds || seconds > 86'400)
    throw ServiceError::invalid(
        "interval_seconds",
        "must be from " + std::to_string(options_.min_interval_seconds) + " (this server's floor) to 86400");
  return seconds;
}

std::string TriggerService::next_renewal(const std::string& expires_at) const {
  auto expires = store::parse_iso(expires_at);
  if (!expires) return {};
  const auto now = Clock::now();
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(*expires - now);
  // Renew a margin before expiry, or halfway there for registrations that live less long.
  auto wait = left - std::min<std::chrono::seconds>(options_.renew_margin, left / 2);
  return store::to_iso(now + std::max(wait, std::chrono::seconds(5)));
}

store::TriggerSubscription TriggerService::subscribe(const auth::Principal& who, const NewTrigger& in,
                                                     const std::string& request_id) {
  auto conn = connections_.resolve(in.connection_id);
  if (!conn || conn->record.workspace_id != who.workspace_id || !who.allows_project(conn->record.project_id))
    throw ServiceError("not_found", "connection " + in.connection_id + " not found", "connection_id");
  const auto& rec = conn->record;
  if (!in.project_id.empty() && in.project_id != rec.project_id)
    throw ServiceError::invalid("project_id", "connection " + rec.id + " belongs to another project");
  if (!who.allows_integration(rec.provider, rec.integration_id))
    throw ServiceError("forbidden", "the API key does not have access to integration " + rec.integration_id,
                       "connection_id");
  auto plugin = registry_.get()->find(rec.provider);
  if (!plugin)
    throw ServiceError::invalid("connection_id", "the plugin of provider " + rec.provider + " is not loaded");
  const plugins::Trigger* trigger = plugin->manifest.find_trigger(in.trigger);
  if (trigger == nullptr) {
    std::string available;
    for (const auto& t : plugin->manifest.triggers) available += (available.empty() ? "" : ", ") + t.slug;
    throw ServiceError::invalid("trigger", "provider " + rec.provider + " has no trigger '" + in.trigger +
                                               "'" +
                                               (available.empty() ? "" : " (it has: " + available + ")"));
  }
  if (auto err = trigger->config->validate(in.config))
    throw ServiceError::invalid("config" + (err->field.empty() ? "" : "." + err->field), err->message);

  json::object config = in.config;
  json::object secrets;
  for (const auto& name : trigger->secrets)
    if (auto it = config.find(name); it != config.end()) {
      secrets[name] = it->value();
      config.erase(it);
    }
  const std::string now = store::now_iso();
  store::TriggerSubscription t;
  t.id = "trg_" + vault::random_hex(12);
  t.workspace_id = rec.workspace_id;
  t.project_id = rec.project_id;
  t.connection_id = rec.id;
  t.provider = rec.provider;
  t.trigger = trigger->slug;
  t.kind = trigger->kind;
  t.name = in.name.empty() ? trigger->name : in.name;
  if (in.interval_seconds && trigger->kind != "polling")
    throw ServiceError::invalid("interval_seconds", "applies only to polling triggers");
  t.interval_seconds = trigger->kind != "polling" ? 0
                       : in.interval_seconds
                           ? checked_interval(*in.interval_seconds)
                           : std::max<std::int64_t>(trigger->interval_seconds, options_.min_interval_seconds);
  t.config_json = json::serialize(config);
  if (!secrets.empty()) t.sealed_secrets = vault_.seal(json::serialize(secrets));
  t.next_run_at = t.kind == "polling" ? now : "";  // the first poll sets the cursor
  t.created_at = t.updated_at = now;
  store_.triggers().create(t);
  if (t.kind != "webhook") return t;

  // Registration at the provider needs the hook URL, hence the id: so the record exists first
  // and goes again if the provider refuses.
  auto scope = scope_for(t);
  execute::TriggerCall call{t.connection_id, request_id, execute::TriggerHook::subscribe, {}, &scope};
  auto r = execute_.call_trigger(call);
  if (!r.ok) {
    store_.triggers().remove(t.id);
    throw ServiceError(
        "provider_error",
        "the provider refused the subscription: " + r.error.message + " (" + error_code(r.error) + ")",
        "trigger");
  }
  if (scope.new_state) t.state_json = *scope.new_state;
  t.expires_at = str(r.out, "expires_at");
  t.next_run_at = next_renewal(t.expires_at);
  t.updated_at = store::now_iso();
  store_.triggers().update(t);
  return t;
}

std::optional<store::TriggerSubscription> TriggerService::get(const auth::Principal& who,
                                                              const std::string& id) {
  auto t = store_.triggers().get(id);
  if (!t || t->workspace_id != who.workspace_id || !who.allows_project(t->project_id)) return std::nullopt;
  return t;
}

std::vector<store::TriggerSubscription> TriggerService::list(const store::TriggerFilter& f,
                                                             const store::Page& page) {
  return store_.triggers().list(f, page);
}

std::int64_t TriggerService::count(const store::TriggerFilter& f) { return store_.triggers().count(f); }

store::TriggerSubscription TriggerService::update(const auth::Principal& who, const std::string& id,
                                                  const TriggerPatch& p) {
  auto t = get(who, id);
  if (!t) throw ServiceError::not_found("trigger subscription " + id);
  if (p.name) {
    if (p.name->empty() || p.name->size() > 200)
      throw ServiceError::invalid("name", "must be 1 to 200 characters");
    t->name = *p.name;
  }
  if (p.config) {
    const auto* trigger = manifest_trigger(t->provider, t->trigger);
    if (trigger == nullptr)
      throw ServiceError::invalid("config", "the plugin of provider " + t->provider + " is not loaded");
    // Secrets left out of the new settings keep their stored values.
    json::object secrets = t->sealed_secrets ? parse_object(vault_.open(*t->sealed_secrets)) : json::object{};
    json::object merged = *p.config;
    for (const auto& kv : secrets)
      if (!merged.contains(kv.key())) merged[kv.key()] = kv.value();
    if (auto err = trigger->config->validate(merged))
      throw ServiceError::invalid("config" + (err->field.empty() ? "" : "." + err->field), err->message);
    for (const auto& name : trigger->secrets)
      if (auto it = merged.find(name); it != merged.end()) {
        secrets[name] = it->value();
        merged.erase(it);
      }
    t->config_json = json::serialize(merged);
    t->sealed_secrets =
        secrets.empty() ? std::nullopt : std::optional<std::string>(vault_.seal(json::serialize(secrets)));
  }
  if (p.interval_seconds) {
    if (t->kind != "polling")
      throw ServiceError::invalid("interval_seconds", "applies only to polling triggers");
    t->interval_seconds = checked_interval(*p.interval_seconds);
  }
  if (p.status) {
    if (*p.status != "active" && *p.status != "paused")
      throw ServiceError::invalid("status", "must be active or paused");
    if (*p.status == "active" && t->status != "active") {
      t->consecutive_failures = 0;
      t->status_reason.clear();
      if (t->kind == "polling") t->next_run_at = store::now_iso();
    }
    t->status = *p.status;
  }
  t->updated_at = store::now_iso();
  store_.triggers().update(*t);
  return *t;
}

bool TriggerService::unsubscribe(const auth::Principal& who, const std::string& id,
                                 const std::string& request_id) {
  auto t = get(who, id);
  if (!t) return false;
  if (t->kind == "webhook") {
    auto scope = scope_for(*t);
    execute::TriggerCall call{t->connection_id, request_id, execute::TriggerHook::unsubscribe, {}, &scope};
    auto r = execute_.call_trigger(call);
    if (!r.ok)
      spdlog::warn("trigger subscription {}: the provider's registration could not be removed: {} ({})",
                   t->id, r.error.message, error_code(r.error));
  }
  return store_.triggers().remove(t->id);
}

json::object TriggerService::view(const store::TriggerSubscription& t) const {
  json::object config = parse_object(t.config_json);
  if (const auto* trigger = manifest_trigger(t.provider, t.trigger); trigger != nullptr && t.sealed_secrets)
    for (const auto& name : trigger->secrets) config[name] = kRedacted;
  const auto* trigger = manifest_trigger(t.provider, t.trigger);
  json::object o{
      {"id", t.id},
      {"name", t.name},
      {"provider", t.provider},
      {"trigger", t.trigger},
      {"kind", t.kind},
      {"event", trigger != nullptr ? json::value(trigger->event) : json::value(nullptr)},
      {"workspace_id", t.workspace_id},
      {"project_id", t.project_id},
      {"connection_id", t.connection_id},
      {"config", std::move(config)},
      {"status", t.status},
      {"status_reason", t.status_reason.empty() ? json::value(nullptr) : json::value(t.status_reason)},
      {"consecutive_failures", t.consecutive_failures},
      {"last_run_at", t.last_run_at.empty() ? json::value(nullptr) : json::value(t.last_run_at)},
      {"next_run_at", t.next_run_at.empty() ? json::value(nullptr) : json::value(t.next_run_at)},
      {"created_at", t.created_at},
      {"updated_at", t.updated_at}};
  if (t.kind == "polling") o["interval_seconds"] = t.interval_seconds;
  if (t.kind == "webhook") {
    o["hook_url"] = hook_url(t.id);
    o["expires_at"] = t.expires_at.empty() ? json::value(nullptr) : json::value(t.expires_at);
  }
  return o;
}

std::vector<std::string> TriggerService::publish(const store::TriggerSubscription& t,
                                                 const json::value* events,
                                                 const std::string& fallback_type) {
  std::vector<std::string> seen;
  if (events == nullptr || !events->is_array()) return seen;
  std::vector<std::string> ids;
  for (const auto& e : events->get_array())
    if (e.is_object()) ids.push_back(str(e.get_object(), "id"));
  const auto fresh = store_.triggers().unseen(t.id, ids);
  std::set<std::string> done;
  for (const auto& e : events->get_array()) {
    if (!e.is_object()) continue;
    const auto& o = e.get_object();
    EventInput in;
    in.external_id = str(o, "id");
    if (!in.external_id.empty()) {
      // Already turned into an event (an earlier poll or delivery), or twice in this batch.
      if (std::find(fresh.begin(), fresh.end(), in.external_id) == fresh.end() ||
          !done.insert(in.external_id).second)
        continue;
    }
    in.workspace_id = t.workspace_id;
    in.project_id = t.project_id;
    in.type = str(o, "type").empty() ? fallback_type : str(o, "type");
    in.source = "trigger:" + t.id;
    in.entity = json::object{{"subscription_id", t.id},
                             {"connection_id", t.connection_id},
                             {"provider", t.provider},
                             {"trigger", t.trigger}};
    if (const auto* d = o.if_contains("data")) in.data = *d;
    in.occurred_at = str(o, "occurred_at");
    std::string external_id = in.external_id;
    events_.publish(std::move(in));
    if (!external_id.empty()) seen.push_back(std::move(external_id));
  }
  return seen;
}

HookResponse TriggerService::handle_hook(const std::string& id, const HookRequest& req,
                                         const std::string& request_id) {
  try {
    auto t = store_.triggers().get(id);
    if (!t || t->kind != "webhook")
      return json_answer(404, "not_found", "no webhook trigger subscription " + id);
    if (t->status != "active") {
      // A paused subscription is the client's choice: acknowledge, so the provider does not
      // retry or switch its side off, and keep nothing.
      HookResponse r = json_answer(200, "paused", "subscription is " + t->status + "; nothing was recorded");
      return r;
    }
    const auto* trigger = manifest_trigger(t->provider, t->trigger);
    if (trigger == nullptr) return json_answer(503, "unavailable", "the provider's plugin is not loaded");

    json::object query, headers;
    for (const auto& [k, v] : req.query) query[k] = v;
    for (const auto& [k, v] : req.headers) headers[k] = v;
    const std::string request_json = json::serialize(json::object{{"method", req.method},
                                                                  {"path", req.path},
                                                                  {"query", query},
                                                                  {"headers", headers},
                                                                  {"body", req.body}});
    auto scope = scope_for(*t);
    execute::TriggerCall call{t->connection_id, request_id, execute::TriggerHook::webhook, request_json,
                              &scope};
    auto r = execute_.call_trigger(call);
    if (!r.ok) {
      const std::string code = error_code(r.error);
      spdlog::warn("hook {} request_id={}: refused: {} ({})", id, request_id, r.error.message, code);
      if (code == "UNAUTHORIZED" || code == "INVALID_SIGNATURE")
        return json_answer(401, code, r.error.message);
      if (r.error.code != "EXECUTION_FAILED")
        return json_answer(503, code, r.error.message);  // ours, not theirs
      return json_answer(400, code, r.error.message);
    }
    store::TriggerRunOutcome outcome;
    outcome.seen_ids = publish(*t, r.out.if_contains("events"), trigger->event);
    outcome.state_json = scope.new_state;
    outcome.last_run_at = store::now_iso();
    outcome.seen_cutoff =
        store::to_iso(Clock::now() - std::chrono::duration_cast<Clock::duration>(options_.seen_retention));
    store_.triggers().finish(t->id, "", outcome);

    HookResponse out;
    if (const auto* resp = r.out.if_contains("response"); resp != nullptr && resp->is_object()) {
      const auto& o = resp->get_object();
      if (const auto* s = o.if_contains("status");
          s != nullptr && s->is_int64() && s->get_int64() >= 200 && s->get_int64() <= 599)
        out.status = static_cast<int>(s->get_int64());
      if (const auto* h = o.if_contains("headers"); h != nullptr && h->is_object())
        for (const auto& kv : h->get_object())
          if (kv.value().is_string())
            out.headers[std::string(kv.key())] = std::string(kv.value().get_string());
      out.body = str(o, "body");
    }
    return out;
  } catch (const std::exception& e) {
    // Most likely the store: the provider should send it again.
    spdlog::error("hook {} request_id={}: {}", id, request_id, e.what());
    return json_answer(503, "unavailable", "the event could not be recorded; send it again");
  }
}

std::size_t TriggerService::run_due(const std::string& node, std::size_t limit) {
  const auto due = store_.triggers().claim_due(store::now_iso(), node, later(options_.lease),
                                               static_cast<std::int64_t>(limit));
  for (const auto& t : due) run_one(t, node);
  return due.size();
}

void TriggerService::run_one(const store::TriggerSubscription& t, const std::string& node) {
  const auto* trigger = manifest_trigger(t.provider, t.trigger);
  auto scope = scope_for(t);
  const std::string request_id = "trg_run_" + vault::random_hex(6);
  const bool polling = t.kind == "polling";
  execute::TriggerCallResult r;
  if (trigger == nullptr) {
    r.error = {"INTEGRATION_NOT_FOUND", "the plugin of provider " + t.provider + " is not loaded", {}};
  } else {
    execute::TriggerCall call{t.connection_id,
                              request_id,
                              polling ? execute::TriggerHook::poll : execute::TriggerHook::subscribe,
                              {},
                              &scope};
    r = execute_.call_trigger(call);
  }
  store::TriggerRunOutcome outcome;
  outcome.last_run_at = store::now_iso();
  outcome.status = t.status;
  outcome.expires_at = t.expires_at;
  if (r.ok) {
    try {
      if (polling) {
        outcome.seen_ids = publish(t, r.out.if_contains("events"), trigger->event);
        outcome.next_run_at = later(std::chrono::seconds(t.interval_seconds));
      } else {
        outcome.expires_at = str(r.out, "expires_at");
        outcome.next_run_at = next_renewal(outcome.expires_at);
      }
      outcome.state_json = scope.new_state;  // only now that its events are stored
      outcome.seen_cutoff =
          store::to_iso(Clock::now() - std::chrono::duration_cast<Clock::duration>(options_.seen_retention));
    } catch (const std::exception& e) {
      r.ok = false;
      r.error = {"STORE_FAILED", e.what(), {}};
    }
  }
  if (!r.ok) {
    outcome.consecutive_failures = t.consecutive_failures + 1;
    outcome.seen_ids.clear();
    const std::string code = error_code(r.error);
    outcome.status_reason = r.error.message + " (" + code + ")";
    // Back off exponentially from the interval (polls) or a minute (renewals), up to a cap.
    const auto base = std::chrono::seconds(polling ? std::max<std::int64_t>(t.interval_seconds, 1) : 60);
    const int doublings = static_cast<int>(std::min<std::int64_t>(outcome.consecutive_failures - 1, 16));
    outcome.next_run_at =
        later(std::min<std::chrono::seconds>(base * (1LL << doublings), options_.max_backoff));
    if (code == "CONNECTION_NOT_FOUND") {
      outcome.status = "error";  // nothing will make it work again: say so rather than retry
      outcome.next_run_at.clear();
    }
    spdlog::warn("trigger subscription {} ({}/{}): {} failed ({} in a row): {}", t.id, t.provider, t.trigger,
                 polling ? "poll" : "renewal", outcome.consecutive_failures, outcome.status_reason);
  }
  if (!store_.triggers().finish(t.id, node, outcome))
    spdlog::info("trigger subscription {}: lease lost while running; another node's result stands", t.id);
}

}  // namespace plugboard::events

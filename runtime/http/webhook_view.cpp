#include "http/webhook_view.hpp"

#include "auth/service_error.hpp"
#include "http/request_parsing.hpp"
#include "store/iso_time.hpp"
#include "store/json_list.hpp"
#include "vault/random.hpp"

#include <chrono>
#include <cmath>
#include <set>

namespace plugboard::http {

namespace json = boost::json;

namespace {

constexpr const char* kRedacted = "[REDACTED]";

json::value parsed(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  return ec ? json::value(nullptr) : v;
}

json::value text_or_null(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }

// Whole seconds render as integers (seed 000's 60); fractions only when a client set them.
json::value seconds(std::int64_t ms) {
  if (ms % 1000 == 0) return ms / 1000;
  return static_cast<double>(ms) / 1000.0;
}

std::string iso_ms(std::int64_t ms) {
  return store::to_iso(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
}

std::optional<bool> opt_bool(const json::object& o, const char* field, const std::string& name) {
  const auto* v = o.if_contains(field);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_bool()) throw ServiceError::invalid(name, name + " must be true or false");
  return v->get_bool();
}

void read_retry_config(const json::object& rc, events::WebhookInput& in) {
  for (const auto& kv : rc)
    if (kv.key() != "max_retries" && kv.key() != "retry_delay_seconds" && kv.key() != "exponential_backoff")
      throw ServiceError::invalid(
          "retry_config." + std::string(kv.key()),
          "retry_config has max_retries, retry_delay_seconds and exponential_backoff");
  if (const auto* v = rc.if_contains("max_retries"); v != nullptr && !v->is_null()) {
    if (!v->is_int64())
      throw ServiceError::invalid("retry_config.max_retries", "max_retries must be an integer");
    in.max_retries = v->get_int64();
  }
  if (const auto* v = rc.if_contains("retry_delay_seconds"); v != nullptr && !v->is_null()) {
    // Fractions are allowed: tests and local receivers want sub-second retries.
    const double s = v->is_int64()    ? static_cast<double>(v->get_int64())
                     : v->is_double() ? v->get_double()
                                      : -1;
    if (!(s > 0) || !std::isfinite(s) || s > 86400)
      throw ServiceError::invalid("retry_config.retry_delay_seconds",
                                  "retry_delay_seconds must be a number from 0.01 to 86400");
    in.retry_delay_ms = static_cast<std::int64_t>(std::llround(s * 1000));
  }
  in.exponential_backoff = opt_bool(rc, "exponential_backoff", "retry_config.exponential_backoff");
}

}  // namespace

json::object render_webhook(const store::WebhookRecord& w, const std::vector<std::string>& header_names) {
  json::object headers;
  for (const auto& h : header_names) headers[h] = kRedacted;
  json::array events;
  for (const auto& e : store::from_json_list(w.events_json, "webhooks.events")) events.emplace_back(e);
  return {{"id", w.id},
          {"name", w.name},
          {"description", w.description},
          {"url", w.url},
          {"events", std::move(events)},
          {"table_id", w.table_id ? parsed(*w.table_id) : json::value(nullptr)},
          {"project_id", text_or_null(w.project_id)},
          {"headers", std::move(headers)},
          {"active", w.active},
          {"retry_config",
           {{"max_retries", w.max_retries},
            {"retry_delay_seconds", seconds(w.retry_delay_ms)},
            {"exponential_backoff", w.exponential_backoff}}},
          {"consecutive_failures", w.consecutive_failures},
          {"disabled_reason", text_or_null(w.disabled_reason)},
          {"created_on", w.created_at},
          {"created_at", w.created_at},
          {"updated_at", w.updated_at}};
}

json::object render_delivery(const store::WebhookDelivery& d) {
  auto opt_int = [](const std::optional<std::int64_t>& v) {
    return v ? json::value(*v) : json::value(nullptr);
  };
  const bool waiting = d.status == "pending" || d.status == "retrying";
  return {{"id", d.id},
          {"webhook_id", d.webhook_id},
          {"event", d.event_type},
          {"event_id", d.event_id},
          {"payload", parsed(d.payload_json)},
          {"status", d.status},
          {"response_code", opt_int(d.response_code)},
          {"response_body", d.response_body},
          {"response_time_ms", opt_int(d.response_time_ms)},
          {"attempts", d.attempts},
          {"delivered_at", d.delivered_at ? json::value(*d.delivered_at) : json::value(nullptr)},
          {"next_attempt_at", waiting ? json::value(iso_ms(d.next_attempt_at_ms)) : json::value(nullptr)},
          {"error", text_or_null(d.last_error)},
          {"created_at", d.created_at}};
}

json::object audit_webhook(const store::WebhookRecord& w, const std::vector<std::string>& header_names) {
  auto o = render_webhook(w, header_names);
  for (const char* k : {"id", "created_on", "created_at", "updated_at", "consecutive_failures"}) o.erase(k);
  o["workspaceId"] = w.workspace_id;
  o["secret"] = vault::sha256_hex(w.sealed_secret).substr(0, 16);
  return o;
}

events::WebhookInput webhook_input(const json::object& body, const std::string& workspace_id) {
  static const std::set<std::string_view> kKnown{
      "name",          "description",  "url",     "webhookUrl",  "webhook_url",     "events",
      "trigger_event", "table_id",     "headers", "active",      "secret",          "retry_config",
      "project_id",    "workspace_id", "teamId",  "data_format", "include_metadata"};
  for (const auto& kv : body) {
    if (kv.key() == "filters")
      throw ServiceError::invalid("filters",
                                  "field-value filters are not supported; filter with events and table_id");
    if (!kKnown.contains(kv.key()))
      throw ServiceError::invalid(std::string(kv.key()), "unknown field " + std::string(kv.key()));
  }
  for (const char* f : {"workspace_id", "teamId"})
    if (auto ws = opt_string(body, f); ws && *ws != workspace_id)
      throw ServiceError("forbidden", "the API key does not have access to workspace " + *ws, f);
  if (auto f = opt_string(body, "data_format"); f && *f != "json")
    throw ServiceError::invalid("data_format", "data_format must be json");
  opt_bool(body, "include_metadata", "include_metadata");  // the payload always has it

  events::WebhookInput in;
  in.name = opt_string(body, "name");
  in.description = opt_string(body, "description");
  for (const char* f : {"url", "webhookUrl", "webhook_url"})
    if (auto u = opt_string(body, f)) {
      if (in.url) throw ServiceError::invalid(f, "give the URL once (url, webhookUrl or webhook_url)");
      in.url = u;
    }
  if (body.contains("events") && !body.at("events").is_null()) in.events = opt_strings(body, "events", "");
  if (auto t = opt_string(body, "trigger_event")) {
    if (in.events) throw ServiceError::invalid("trigger_event", "give events or trigger_event, not both");
    in.events = std::vector<std::string>{*t};
  }
  if (const auto* t = body.if_contains("table_id")) {
    in.table_id_set = true;
    if (!t->is_null()) in.table_id = *t;
  }
  in.headers = opt_object(body, "headers");
  in.active = opt_bool(body, "active", "active");
  in.secret = opt_string(body, "secret");
  in.project_id = opt_string(body, "project_id");
  if (auto rc = opt_object(body, "retry_config")) read_retry_config(*rc, in);
  return in;
}

}  // namespace plugboard::http

#include "events/webhook_service.hpp"

#include "auth/page_cursor.hpp"
#include "auth/service_error.hpp"
#include "events/event_service.hpp"
#include "store/iso_time.hpp"
#include "store/json_list.hpp"
#include "vault/random.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>

namespace plugboard::events {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxUrl = 2048;
constexpr std::size_t kMaxEvents = 100;
constexpr std::size_t kMaxHeaders = 50;
constexpr std::size_t kMinSecret = 16;
constexpr std::int64_t kMinDelayMs = 10;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// RFC 9110 token characters: anything else could split or smuggle a header.
bool valid_header_name(std::string_view n) {
  return !n.empty() && n.size() <= 100 && std::all_of(n.begin(), n.end(), [](unsigned char c) {
    return std::isalnum(c) ||
           std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
  });
}

bool valid_header_value(std::string_view v) {
  return v.size() <= 4096 &&
         std::none_of(v.begin(), v.end(), [](unsigned char c) { return c < 0x20 && c != '\t'; });
}

std::vector<std::string> normalized_events(const std::vector<std::string>& given) {
  if (given.size() > kMaxEvents)
    throw ServiceError::invalid("events", "events lists at most " + std::to_string(kMaxEvents) + " types");
  std::vector<std::string> out;
  for (const auto& e : given) {
    if (e == "*") return {};  // every event
    if (!valid_event_type(e))
      throw ServiceError::invalid("events", "event type '" + e.substr(0, 100) +
                                                "' is not valid: 1 to 100 letters, digits and _ . : -");
    if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  }
  return out;
}

}  // namespace

std::optional<std::string> table_key(const json::value& v) {
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_string()) return std::string(v.get_string());
  return std::nullopt;
}

std::vector<std::string> table_id_texts(const std::string& query) {
  std::vector<std::string> out{json::serialize(json::value(query))};
  if (!query.empty() && query.size() < 19 && std::all_of(query.begin(), query.end(), ::isdigit))
    out.push_back(std::to_string(std::stoll(query)));
  return out;
}

WebhookService::WebhookService(store::Store& store, const vault::Vault& vault, auth::TenancyService& tenancy,
                               const WebhookSender& sender, std::function<void()> on_queued)
    : store_(store), vault_(vault), tenancy_(tenancy), sender_(sender), on_queued_(std::move(on_queued)) {}

void WebhookService::check(store::WebhookRecord& w, const WebhookInput& in, bool creating) {
  if (in.name) {
    if (in.name->empty() || in.name->size() > 100)
      throw ServiceError::invalid("name", "name is required (at most 100 characters)");
    w.name = *in.name;
  } else if (creating) {
    throw ServiceError::invalid("name", "name is required");
  }
  if (in.description) {
    if (in.description->size() > 500)
      throw ServiceError::invalid("description", "description is longer than 500 characters");
    w.description = *in.description;
  }
  if (in.url) {
    if (in.url->empty() || in.url->size() > kMaxUrl)
      throw ServiceError::invalid("url", "url is required (at most 2048 characters)");
    if (auto why = sender_.egress().refusal(*in.url)) throw ServiceError::invalid("url", *why);
    w.url = *in.url;
  } else if (creating) {
    throw ServiceError::invalid("url", "url is required");
  }
  if (in.project_id) {
    if (!in.project_id->empty() && !tenancy_.project(w.workspace_id, *in.project_id))
      throw ServiceError::invalid("project_id",
                                  "project " + *in.project_id + " does not exist in this workspace");
    w.project_id = *in.project_id;
  }
  if (in.events) w.events_json = store::to_json_list(normalized_events(*in.events));
  if (in.table_id_set) {
    if (!in.table_id) {
      w.table_id.reset();
    } else {
      auto key = table_key(*in.table_id);
      if (!key || key->empty() || key->size() > 100)
        throw ServiceError::invalid("table_id", "table_id must be an integer or a non-empty string");
      w.table_id = json::serialize(*in.table_id);
    }
  }
  if (in.headers) {
    if (in.headers->size() > kMaxHeaders)
      throw ServiceError::invalid("headers", "at most " + std::to_string(kMaxHeaders) + " headers");
    for (const auto& kv : *in.headers) {
      const std::string field = "headers." + std::string(kv.key());
      if (!valid_header_name(kv.key())) throw ServiceError::invalid(field, "not a valid header name");
      if (!kv.value().is_string() || !valid_header_value(kv.value().get_string()))
        throw ServiceError::invalid(field, "header values must be strings without control characters");
    }
    w.sealed_headers = in.headers->empty()
                           ? std::nullopt
                           : std::optional<std::string>(vault_.seal(json::serialize(*in.headers)));
  }
  if (in.secret) {
    if (in.secret->size() < kMinSecret || in.secret->size() > 200)
      throw ServiceError::invalid("secret", "secret must be 16 to 200 characters");
    w.sealed_secret = vault_.seal(*in.secret);
  }
  if (in.max_retries) {
    if (*in.max_retries < 0 || *in.max_retries > kMaxRetries)
      throw ServiceError::invalid("retry_config.max_retries",
                                  "max_retries must be from 0 to " + std::to_string(kMaxRetries));
    w.max_retries = *in.max_retries;
  }
  if (in.retry_delay_ms) {
    if (*in.retry_delay_ms < kMinDelayMs || *in.retry_delay_ms > kMaxRetryDelay.count())
      throw ServiceError::invalid("retry_config.retry_delay_seconds",
                                  "retry_delay_seconds must be from 0.01 to 86400");
    w.retry_delay_ms = *in.retry_delay_ms;
  }
  if (in.exponential_backoff) w.exponential_backoff = *in.exponential_backoff;
  if (in.active) {
    // Switching a webhook back on (after the runtime switched it off, say) starts a new streak.
    if (*in.active && !w.active) {
      w.consecutive_failures = 0;
      w.disabled_reason.clear();
    }
    w.active = *in.active;
  }
}

CreatedWebhook WebhookService::create(const std::string& workspace_id, const WebhookInput& in) {
  store::WebhookRecord w;
  w.id = vault::new_uuid();
  w.workspace_id = workspace_id;
  check(w, in, true);
  CreatedWebhook out;
  out.secret = in.secret ? *in.secret : "whsec_" + vault::random_hex(24);
  if (!in.secret) w.sealed_secret = vault_.seal(out.secret);
  w.created_at = w.updated_at = store::now_iso();
  store_.webhooks().create(w);
  out.record = std::move(w);
  return out;
}

store::WebhookRecord WebhookService::update(const std::string& workspace_id, const std::string& id,
                                            const WebhookInput& in) {
  auto w = get(workspace_id, id);
  if (!w) throw ServiceError::not_found("webhook " + id);
  check(*w, in, false);
  w->updated_at = store::now_iso();
  try {
    store_.webhooks().update(*w);
  } catch (const store::NotFoundError&) {
    throw ServiceError::not_found("webhook " + id);
  }
  return *w;
}

std::optional<store::WebhookRecord> WebhookService::get(const std::string& workspace_id,
                                                        const std::string& id) {
  auto w = store_.webhooks().get(id);
  if (!w || w->workspace_id != workspace_id) return std::nullopt;
  return w;
}

std::vector<store::WebhookRecord> WebhookService::list(const store::WebhookFilter& filter,
                                                       const store::Page& page) {
  return store_.webhooks().list(filter, page);
}

std::int64_t WebhookService::count(const store::WebhookFilter& filter) {
  return store_.webhooks().count(filter);
}

bool WebhookService::remove(const std::string& workspace_id, const std::string& id) {
  if (!get(workspace_id, id)) return false;
  return store_.webhooks().remove(id);
}

std::vector<std::string> WebhookService::header_names(const store::WebhookRecord& w) const {
  std::vector<std::string> out;
  if (auto t = target(w.id))
    for (const auto& h : t->headers) out.push_back(h.first);
  return out;
}

std::optional<WebhookTarget> WebhookService::target(const std::string& id) const {
  auto w = store_.webhooks().get(id);
  if (!w) return std::nullopt;
  WebhookTarget t;
  t.secret = vault_.open(w->sealed_secret);
  if (w->sealed_headers) {
    boost::system::error_code ec;
    auto headers = json::parse(vault_.open(*w->sealed_headers), ec);
    if (!ec && headers.is_object())
      for (const auto& kv : headers.get_object())
        if (kv.value().is_string()) t.headers.emplace_back(kv.key(), kv.value().get_string());
  }
  t.record = std::move(*w);
  return t;
}

DeliveryPage WebhookService::deliveries(store::DeliveryFilter filter,
                                        const std::optional<std::string>& cursor, std::int64_t limit) {
  if (cursor) {
    auto [created_at, seq] = auth::decode_cursor(*cursor);
    std::int64_t n = 0;
    auto [ptr, ec] = std::from_chars(seq.data(), seq.data() + seq.size(), n);
    if (ec != std::errc() || ptr != seq.data() + seq.size() || n < 0)
      throw ServiceError::invalid("cursor", "cursor is not one this server issued");
    filter.after = store::DeliveryPosition{std::move(created_at), n};
  }
  DeliveryPage page;
  page.deliveries = store_.deliveries().list(filter, limit + 1);  // one more: is there a next page?
  if (static_cast<std::int64_t>(page.deliveries.size()) > limit) {
    page.deliveries.resize(static_cast<std::size_t>(limit));
    page.next_cursor =
        auth::encode_cursor(page.deliveries.back().created_at, std::to_string(page.deliveries.back().seq));
  }
  page.total = store_.deliveries().count(filter);
  return page;
}

std::optional<std::pair<store::WebhookDelivery, store::WebhookRecord>> WebhookService::delivery(
    const std::string& workspace_id, const std::string& id) {
  auto d = store_.deliveries().get(id);
  if (!d) return std::nullopt;
  auto w = get(workspace_id, d->webhook_id);
  if (!w) return std::nullopt;
  return std::pair{std::move(*d), std::move(*w)};
}

store::WebhookDelivery WebhookService::retry(const std::string& workspace_id,
                                             const std::string& delivery_id) {
  auto found = delivery(workspace_id, delivery_id);
  if (!found) throw ServiceError::not_found("delivery " + delivery_id);
  if (found->first.status != "failed")
    throw ServiceError("conflict", "delivery " + delivery_id + " is " + found->first.status +
                                       "; only failed deliveries can be retried");
  if (!store_.deliveries().requeue(delivery_id, now_ms(), store::now_iso()))
    throw ServiceError("conflict", "delivery " + delivery_id + " is no longer failed");
  if (on_queued_) on_queued_();
  auto d = store_.deliveries().get(delivery_id);
  if (!d) throw ServiceError::not_found("delivery " + delivery_id);
  return *d;
}

TestOutcome WebhookService::test(const std::string& workspace_id, const std::string& id,
                                 json::object payload) {
  if (!get(workspace_id, id)) throw ServiceError::not_found("webhook " + id);
  auto t = target(id);
  if (!t) throw ServiceError::not_found("webhook " + id);
  std::string type = "test";
  if (const auto* e = payload.if_contains("event")) {
    if (!e->is_string() || !valid_event_type(e->get_string()))
      throw ServiceError::invalid("test_data.event", "test_data.event must be an event type");
    type = std::string(e->get_string());
  }
  const std::string event_id = "evt_test_" + vault::random_hex(8);
  payload["event"] = type;
  if (!payload.contains("id")) payload["id"] = event_id;
  if (!payload.contains("timestamp")) payload["timestamp"] = store::now_iso();
  store::WebhookDelivery d;
  d.id = "dlv_" + vault::random_hex(12);
  d.webhook_id = id;
  d.event_id = event_id;
  d.event_type = type;
  d.payload_json = json::serialize(payload);
  TestOutcome out{d.id, sender_.send(*t, d.id, d.event_type, d.payload_json)};
  // Logged like any delivery, final at once: a test is never retried and does not count
  // towards switching the webhook off.
  d.status = out.attempt.success ? "success" : "failed";
  d.attempts = 1;
  d.response_code = out.attempt.status_code;
  d.response_body = out.attempt.body;
  d.response_time_ms = out.attempt.time_ms;
  if (out.attempt.success) d.delivered_at = out.attempt.at;
  d.last_error = out.attempt.error;
  d.created_at = d.updated_at = store::now_iso();
  store_.deliveries().enqueue(d);
  return out;
}

}  // namespace plugboard::events

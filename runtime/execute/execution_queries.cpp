#include "execute/execution_queries.hpp"

#include "auth/audit_service.hpp"
#include "auth/page_cursor.hpp"
#include "auth/service_error.hpp"
#include "store/iso_time.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace plugboard::execute {
namespace {

namespace json = boost::json;

// A logged payload as JSON, secrets redacted. One cut at the size cap no longer parses, so its
// fields cannot be told apart and redacted: only its logged size is shown.
json::value payload(const std::string& text) {
  if (text.empty()) return json::object{};
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) return json::object{{"truncated", true}, {"logged_bytes", text.size()}};
  if (v.is_object()) return auth::redact_secrets(v.as_object());
  return v;
}

bool allowed(const auth::Principal& who, const std::string& provider) {
  return who.allows_integration(provider, "");
}

// Rounded to four decimals: seed 000 shows rates as 0.05.
json::value rate(double r) { return json::value(std::round(r * 10000.0) / 10000.0); }

}  // namespace

ExecutionQueries::ExecutionQueries(store::Store& store, plugins::RegistryHandle& registry,
                                   IntegrationService& integrations, HealthThresholds thresholds)
    : store_(store), registry_(registry), integrations_(integrations), thresholds_(thresholds) {}

ExecutionPage ExecutionQueries::list(const auth::Principal& who, const ExecutionQuery& q) {
  if (q.limit < 1 || q.limit > 100)
    throw ServiceError::invalid("limit", "limit must be an integer from 1 to 100");
  if (q.status && *q.status != "success" && *q.status != "error")
    throw ServiceError::invalid("status", "status must be success or error");
  store::ExecutionFilter f;
  f.workspace_id = who.workspace_id;
  f.project_ids = who.projects;
  f.action = q.action;
  f.status = q.status;
  f.connection_id = q.connection_id;
  f.provider = q.provider;
  f.event_id = q.event_id;
  f.since = q.since;
  f.until = q.until;
  if (q.integration) f.integration_id = integrations_.get(who.workspace_id, *q.integration).id;
  std::optional<store::ExecutionPosition> after;
  if (q.cursor) {
    auto [started_at, id] = auth::decode_cursor(*q.cursor);  // validation_error when not ours
    after = store::ExecutionPosition{std::move(started_at), std::move(id)};
  }
  ExecutionPage page;
  page.executions = store_.executions().list(f, after, q.limit + 1);  // one more: is there a next page?
  if (static_cast<std::int64_t>(page.executions.size()) > q.limit) {
    page.executions.resize(static_cast<std::size_t>(q.limit));
    const auto& last = page.executions.back();
    page.next_cursor = auth::encode_cursor(last.started_at, last.id);
  }
  return page;
}

std::optional<store::Execution> ExecutionQueries::get(const auth::Principal& who, const std::string& id) {
  auto e = store_.executions().get(id);
  if (!e || e->workspace_id != who.workspace_id || !who.allows_project(e->project_id)) return std::nullopt;
  return e;
}

json::object ExecutionQueries::health(const auth::Principal& who, std::chrono::minutes window) {
  const auto now = std::chrono::system_clock::now();
  const auto stats = store_.executions().usage_by_provider(who.workspace_id, store::to_iso(now - window),
                                                           store::to_iso(now));
  std::map<std::string, const store::ProviderUsage*> by_provider;
  for (const auto& s : stats) by_provider[s.provider] = &s;
  // Every loaded provider is listed, with or without executions in the window.
  static const store::ProviderUsage kNone;
  for (const auto& p : registry_.get()->plugins()) by_provider.try_emplace(p->manifest.id, &kNone);

  json::array list;
  int healthy = 0, down = 0;
  for (const auto& [provider, s] : by_provider) {
    if (!allowed(who, provider)) continue;
    json::array issues;
    std::string status = "healthy";
    const double error_rate =
        s->total > 0 ? static_cast<double>(s->errors) / static_cast<double>(s->total) : 0;
    const std::int64_t avg_ms = s->total > 0 ? s->total_duration_ms / s->total : 0;
    if (s->total == 0) {
      issues.emplace_back("No executions in the last " + std::to_string(window.count()) + " minutes");
    } else {
      if (error_rate >= thresholds_.down_error_rate) {
        status = "down";
        issues.emplace_back("Most executions failed");
      } else if (error_rate >= thresholds_.degraded_error_rate) {
        status = "degraded";
        issues.emplace_back("High error rate");
      }
      if (avg_ms > thresholds_.slow_response_ms) {
        if (status == "healthy") status = "degraded";
        issues.emplace_back("High response time");
      }
    }
    if (status == "healthy") ++healthy;
    if (status == "down") ++down;
    json::object o{{"integration_id", provider},
                   {"status", status},
                   {"last_check", s->last_at.empty() ? json::value(nullptr) : json::value(s->last_at)},
                   {"response_time_ms", avg_ms},
                   {"error_rate", rate(error_rate)},
                   {"executions", s->total}};
    if (!issues.empty()) o["issues"] = std::move(issues);
    list.push_back(std::move(o));
  }
  const auto total = static_cast<int>(list.size());
  const char* overall = healthy == total ? "healthy" : (down == total ? "down" : "degraded");
  return json::object{{"overall_status", overall},
                      {"window_minutes", window.count()},
                      {"checked_at", store::to_iso(now)},
                      {"integrations", std::move(list)}};
}

json::object ExecutionQueries::usage(const auth::Principal& who, const std::string& since,
                                     const std::string& until, const std::optional<std::string>& provider) {
  json::array list;
  for (const auto& s : store_.executions().usage_by_provider(who.workspace_id, since, until)) {
    if ((provider && s.provider != *provider) || !allowed(who, s.provider)) continue;
    const double mb = static_cast<double>(s.payload_bytes) / (1024.0 * 1024.0);
    list.push_back(json::object{{"integration_id", s.provider},
                                {"total_requests", s.total},
                                {"successful_requests", s.total - s.errors},
                                {"failed_requests", s.errors},
                                {"avg_response_time_ms", s.total > 0 ? s.total_duration_ms / s.total : 0},
                                {"data_transferred_mb", std::round(mb * 100.0) / 100.0},
                                {"last_used", s.last_at}});
  }
  return json::object{{"usage", std::move(list)}, {"start_date", since}, {"end_date", until}};
}

json::object ExecutionQueries::render(const store::Execution& e) {
  return json::object{{"id", e.id},
                      {"request_id", e.request_id},
                      {"workspace_id", e.workspace_id},
                      {"project_id", e.project_id},
                      {"connection_id", e.connection_id},
                      {"integration_id", e.provider},
                      {"action", e.action},
                      {"status", e.status},
                      {"error_code", e.error_code.empty() ? json::value(nullptr) : json::value(e.error_code)},
                      {"duration_ms", e.duration_ms},
                      {"started_at", e.started_at},
                      {"event_id", e.event_id.empty() ? json::value(nullptr) : json::value(e.event_id)},
                      {"parameters", payload(e.parameters_json)},
                      {"result", payload(e.result_json)}};
}

}  // namespace plugboard::execute

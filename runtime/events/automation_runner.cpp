#include "events/automation_runner.hpp"

#include "events/automation_rules.hpp"
#include "events/event_service.hpp"
#include "store/iso_time.hpp"
#include "vault/random.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace plugboard::events {
namespace json = boost::json;

namespace {

json::value parsed(const std::string& text) {
  std::error_code ec;
  auto v = json::parse(text, ec);
  return ec ? json::value(nullptr) : v;
}

bool flag(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_bool() && v->get_bool();
}

std::int64_t seconds_in(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_int64() ? v->get_int64() : -1;
}

std::string code_of(const execute::ExecuteError& e) {
  const auto* c = e.details.if_contains("error_code");
  return c != nullptr && c->is_string() ? std::string(c->get_string()) : e.code;
}

}  // namespace

AutomationRunner::AutomationRunner(store::Store& store, execute::ExecuteService& execute,
                                   AutomationOptions options, std::function<void()> on_queued)
    : store_(store), execute_(execute), options_(options), on_queued_(std::move(on_queued)) {}

void AutomationRunner::enqueue(const Event& e) {
  const auto payload = payload_of(e);
  bool queued = false;
  for (const auto& a : store_.automations().listening(e.workspace_id, e.type)) {
    // An automation acts in its connection's project: events of other projects are not its.
    if (!e.project_id.empty() && e.project_id != a.project_id) continue;
    try {
      if (!conditions_hold(parse_conditions(parsed(a.conditions_json)), payload)) continue;
    } catch (const RuleError& err) {  // stored rules were checked when saved
      spdlog::error("automation {}: stored conditions unreadable: {}", a.id, err.what());
      continue;
    }
    store::AutomationRun r;
    r.id = "run_" + vault::random_hex(12);
    r.automation_id = a.id;
    r.event_id = e.id;
    r.workspace_id = e.workspace_id;
    r.next_attempt_at = r.created_at = store::now_iso();
    queued = store_.automations().enqueue(r) || queued;
  }
  if (queued && on_queued_) on_queued_();
}

std::size_t AutomationRunner::run_due(const std::string& node, std::size_t limit) {
  const auto now = std::chrono::system_clock::now();
  auto due = store_.automations().claim_due(store::to_iso(now), node, store::to_iso(now + options_.lease),
                                            static_cast<std::int64_t>(limit));
  for (auto& r : due) run(std::move(r), node);
  return due.size();
}

void AutomationRunner::finish(store::AutomationRun& r, const std::string& node, const std::string& status,
                              const std::string& code, const std::string& message) {
  const std::string now = store::now_iso();
  r.status = status;
  r.error_code = code;
  r.error_message = message;
  if (status != "retrying") r.finished_at = now;
  if (!store_.automations().finish(r, node)) {
    spdlog::warn("automation run {}: lease lost before its outcome was written", r.id);
    return;
  }
  if (status != "retrying")
    store_.automations().record_outcome(r.automation_id, now, status,
                                        code.empty() ? "" : code + ": " + message);
}

void AutomationRunner::run(store::AutomationRun r, const std::string& node) {
  auto a = store_.automations().get(r.automation_id);
  if (!a) return;  // removed with its runs
  if (!a->active)
    return finish(r, node, "cancelled", "AUTOMATION_INACTIVE", "the automation was switched off");
  auto stored = store_.events().get(r.event_id);
  if (!stored)
    return finish(r, node, "failed", "EVENT_NOT_FOUND", "event " + r.event_id + " is no longer stored");
  const auto payload = payload_of(event_from(*stored));

  execute::ExecuteRequest req;
  try {
    const auto params = parsed(a->parameters_json);
    req.parameters = build_parameters(params.is_object() ? params.get_object() : json::object{},
                                      parse_mappings(parsed(a->mappings_json)), payload);
  } catch (const BuildError& e) {
    ++r.attempts;
    return finish(r, node, "failed", e.code, e.what());
  }
  // The automation acts with its own narrow identity: execute, in its project only.
  auth::Principal who;
  who.key_id = "automation:" + a->id;
  who.workspace_id = a->workspace_id;
  who.operations = {"execute"};
  who.projects = {a->project_id};
  ++r.attempts;
  req.request_id = "auto_" + r.id + "_" + std::to_string(r.attempts);
  req.principal = &who;
  req.workspace_id = a->workspace_id;
  req.project_id = a->project_id;
  req.connection_id = a->connection_id;
  req.action = a->action;
  req.user_id = a->user_id;
  req.event_id = r.event_id;
  auto result = execute_.execute(std::move(req));
  r.execution_id = result.execution_id;
  if (result.ok) return finish(r, node, "succeeded", "", "");

  const auto& details = result.error.details;
  const bool retryable = flag(details, "retryable") || result.error.code == "RATE_LIMITED";
  if (retryable && r.attempts < options_.max_attempts) {
    std::chrono::seconds delay = options_.retry_delay * (1L << std::min<std::int64_t>(r.attempts - 1, 10));
    if (auto ra = seconds_in(details, "retry_after"); ra >= 0)
      delay = std::max(delay, std::chrono::seconds(ra));
    r.next_attempt_at = store::to_iso(std::chrono::system_clock::now() + delay);
    return finish(r, node, "retrying", code_of(result.error), result.error.message);
  }
  finish(r, node, "failed", code_of(result.error), result.error.message);
}

}  // namespace plugboard::events

// Trigger hooks run through the same connection, credential and deadline handling as actions;
// only the plugin function and the shape of its answer differ.
#include "execute/call_refresher.hpp"
#include "execute/execute_service.hpp"

#include <boost/json.hpp>

namespace plugboard::execute {
namespace {

void append(void* ctx, const char* data, std::size_t len) {
  static_cast<std::string*>(ctx)->append(data, len);
}

TriggerCallResult fail(std::string code, std::string message, boost::json::object details = {}) {
  TriggerCallResult r;
  r.error = {std::move(code), std::move(message), std::move(details)};
  return r;
}

// The plugin's error object -> EXECUTION_FAILED with its code and message passed through.
ExecuteError hook_failure(const std::string& provider, const std::string& raw) {
  ExecuteError e{"EXECUTION_FAILED", "Trigger hook failed", {{"provider", provider}}};
  boost::system::error_code ec;
  auto v = boost::json::parse(raw, ec);
  if (ec || !v.is_object()) {
    e.details["error_code"] = "PLUGIN_PROTOCOL_ERROR";
    return e;
  }
  const auto& o = v.get_object();
  if (const auto* c = o.if_contains("code"); c != nullptr && c->is_string()) e.details["error_code"] = *c;
  if (const auto* m = o.if_contains("message"); m != nullptr && m->is_string())
    e.message = std::string(m->get_string());
  if (const auto* d = o.if_contains("details"); d != nullptr && d->is_object())
    for (const auto& kv : d->get_object()) e.details.emplace(kv.key(), kv.value());
  return e;
}

}  // namespace

TriggerCallResult ExecuteService::call_trigger(TriggerCall& req) {
  TriggerScope& scope = *req.scope;
  auto conn = connections_.resolve(req.connection_id);
  if (!conn)
    return fail("CONNECTION_NOT_FOUND", "Connection does not exist", {{"connection_id", req.connection_id}});
  const auto& rec = conn->record;
  auto plugin = registry_.get()->find(rec.provider);
  if (!plugin)
    return fail("INTEGRATION_NOT_FOUND", "The connection's plugin is not loaded",
                {{"provider", rec.provider}});
  const auto* trigger = plugin->manifest.find_trigger(scope.trigger);
  if (trigger == nullptr)
    return fail("TRIGGER_NOT_FOUND", "Provider " + rec.provider + " has no trigger " + scope.trigger,
                {{"provider", rec.provider}, {"trigger", scope.trigger}});
  if (rec.status != "connected" && rec.status != "pending")
    return fail("CONNECTION_INACTIVE", "Connection is " + rec.status,
                {{"status", rec.status}, {"reason", rec.status_reason}});
  if (!conn->decrypt_error.empty())
    return fail("CREDENTIAL_DECRYPTION_FAILED", "Failed to decrypt credentials", {{"connection_id", rec.id}});

  const auto& hooks = plugin->hooks;
  const auto slug = std::string_view(scope.trigger);
  std::string out;
  pb_writer writer{&out, &append};
  // A hook the plugin leaves out: subscribing needs nothing at the provider then.
  if ((req.hook == TriggerHook::subscribe && hooks.subscribe == nullptr) ||
      (req.hook == TriggerHook::unsubscribe && hooks.unsubscribe == nullptr)) {
    TriggerCallResult r;
    r.ok = true;
    return r;
  }
  if ((req.hook == TriggerHook::poll && hooks.poll == nullptr) ||
      (req.hook == TriggerHook::webhook && hooks.handle_webhook == nullptr))
    return fail("TRIGGER_NOT_FOUND",
                "Provider " + rec.provider + " has no hook for trigger " + scope.trigger);

  if (tokens_ != nullptr) {
    try {
      conn = tokens_->ensure_fresh(conn, options_.default_deadline);
    } catch (const TokenRefreshFailure& f) {
      TriggerCallResult r;
      r.error = f.error;
      return r;
    }
  }
  pb_call call;
  prepare_call(call, plugin->manifest, *conn, req.request_id);
  call.action = scope.trigger;
  call.idempotent = true;  // hooks read and register; repeating one is harmless
  call.trigger = &scope;
  const auto& m = plugin->manifest;
  call.deadline = std::chrono::steady_clock::now() +
                  (m.deadline_ms > 0 ? std::chrono::milliseconds(m.deadline_ms) : options_.default_deadline);
  std::optional<CallRefresher> refresher;
  if (tokens_ != nullptr && rec.auth_type == "oauth2") {
    refresher.emplace(*tokens_, call, conn);
    call.refresher = &*refresher;
  }
  int32_t status = PB_ERROR;
  {
    std::unique_lock<std::mutex> serial;
    if (plugin->serial) serial = std::unique_lock(*plugin->serial);
    try {
      switch (req.hook) {
        case TriggerHook::poll:
          status = hooks.poll(&call, slug.data(), slug.size(), &writer);
          break;
        case TriggerHook::webhook:
          status = hooks.handle_webhook(&call, slug.data(), slug.size(), req.request_json.data(),
                                        req.request_json.size(), &writer);
          break;
        case TriggerHook::subscribe:
          status = hooks.subscribe(&call, slug.data(), slug.size(), &writer);
          break;
        case TriggerHook::unsubscribe:
          status = hooks.unsubscribe(&call, slug.data(), slug.size(), &writer);
          break;
      }
    } catch (...) {
      status = PB_ERROR;
      out = R"({"code":"PLUGIN_EXCEPTION","message":"plugin threw across the ABI boundary"})";
    }
  }
  TriggerCallResult r;
  if (status != PB_OK) {
    r.error = refresher && refresher->failure ? *refresher->failure : hook_failure(m.id, out);
    return r;
  }
  boost::system::error_code ec;
  auto v = boost::json::parse(out, ec);
  if (ec || !v.is_object()) {
    r.error = {"EXECUTION_FAILED",
               "plugin " + m.id + " answered a trigger hook with something that is not a JSON object",
               {{"provider", m.id}, {"error_code", "PLUGIN_PROTOCOL_ERROR"}}};
    return r;
  }
  r.ok = true;
  r.out = std::move(v.get_object());
  return r;
}

}  // namespace plugboard::execute

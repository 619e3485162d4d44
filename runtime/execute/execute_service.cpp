#include "execute/execute_service.hpp"

#include "auth/service_error.hpp"
#include "execute/call.hpp"
#include "execute/call_refresher.hpp"
#include "store/iso_time.hpp"
#include "vault/random.hpp"

#include <spdlog/spdlog.h>

#include <mutex>

namespace plugboard::execute {
namespace {

ExecuteResult fail(std::string code, std::string message, boost::json::object details = {}) {
  ExecuteResult r;
  r.error = {std::move(code), std::move(message), std::move(details)};
  return r;
}

void append(void* ctx, const char* data, std::size_t len) {
  static_cast<std::string*>(ctx)->append(data, len);
}

// Parses into a per-thread arena: checking a result costs no heap allocation when it is small.
bool is_one_json_value(std::string_view text) {
  thread_local unsigned char arena[32768];
  boost::json::monotonic_resource mr(arena, sizeof arena);
  boost::system::error_code ec;
  boost::json::parse(text, ec, &mr);
  return !ec;
}

// Serializes into a string reserved once (from the request's size) rather than one that
// doubles as it grows, which would hold up to twice a large upload.
std::string serialize_once(const boost::json::object& o, std::size_t size_hint) {
  boost::json::serializer sr;
  sr.reset(&o);
  std::string out;
  out.reserve(size_hint + 64);
  char buf[65536];
  while (!sr.done()) out.append(sr.read(buf, sizeof buf));
  return out;
}

std::string capped(std::string s, std::size_t max) {
  if (s.size() > max) {
    s.resize(max);
    s += "...[truncated]";
  }
  return s;
}

// Maps a plugin's error object to EXECUTION_FAILED, passing the provider's failure through.
ExecuteError plugin_failure(const std::string& provider, const std::string& raw, bool out_of_time) {
  ExecuteError e{"EXECUTION_FAILED", "Action execution failed", {}};
  boost::system::error_code ec;
  auto v = boost::json::parse(raw, ec);
  if (!ec && v.is_object()) {
    const auto& o = v.get_object();
    if (const auto* d = o.if_contains("details"); d != nullptr && d->is_object()) e.details = d->get_object();
    if (const auto* c = o.if_contains("code"); c != nullptr && c->is_string()) e.details["error_code"] = *c;
    if (const auto* m = o.if_contains("message"); m != nullptr && m->is_string())
      e.message = std::string(m->get_string());
  } else {
    e.details["error_code"] = "PLUGIN_PROTOCOL_ERROR";
    e.message = "plugin " + provider + " returned an error that is not a JSON object";
  }
  e.details["provider"] = provider;
  if (out_of_time) {
    e.details["deadline_exceeded"] = true;
    if (!e.details.contains("retryable")) e.details["retryable"] = true;
  }
  return e;
}

}  // namespace

ExecuteService::ExecuteService(const plugins::RegistryHandle& registry, auth::TenancyService& tenancy,
                               ConnectionService& connections, ExecutionLog& log, net::HttpClient& http,
                               ExecuteOptions options, TokenManager* tokens)
    : registry_(registry),
      tenancy_(tenancy),
      connections_(connections),
      log_(log),
      http_(http),
      options_(std::move(options)),
      tokens_(tokens) {}

ExecuteResult ExecuteService::execute(ExecuteRequest req) {
  const auth::Principal& who = *req.principal;
  if (!who.can("execute")) return fail("ACCESS_DENIED", "The API key does not have the execute permission");
  if (req.workspace_id != who.workspace_id)
    return fail("ACCESS_DENIED", "The API key does not have access to this workspace",
                {{"workspace_id", req.workspace_id}});
  auto project_ws = tenancy_.project_workspace(req.project_id);
  if (!project_ws || *project_ws != req.workspace_id || !who.allows_project(req.project_id))
    return fail("ACCESS_DENIED", "The API key does not have access to this project in this workspace",
                {{"project_id", req.project_id}});

  auto conn = connections_.resolve(req.connection_id);
  if (!conn)
    return fail("CONNECTION_NOT_FOUND", "Connection does not exist", {{"connection_id", req.connection_id}});
  const store::Connection& rec = conn->record;
  if (rec.workspace_id != req.workspace_id || rec.project_id != req.project_id)
    return fail("CONNECTION_MISMATCH", "Connection does not belong to this workspace and project",
                {{"connection_id", req.connection_id}});
  if (conn->per_user && conn->user_id != req.user_id)
    return fail("CONNECTION_MISMATCH", "Connection belongs to another user (a per-user integration)",
                {{"connection_id", req.connection_id}});
  if (!who.allows_integration(rec.provider, rec.integration_id))
    return fail("ACCESS_DENIED", "The API key does not have access to this integration",
                {{"integration", rec.integration_id}});

  auto registry = registry_.get();
  auto plugin = registry->find(rec.provider);
  if (!plugin)
    return fail("INTEGRATION_NOT_FOUND", "Integration does not exist or its plugin is not loaded",
                {{"integration", rec.provider}});
  const plugins::Action* action = plugin->manifest.find_action(req.action);
  if (action == nullptr) {
    boost::json::array available;
    for (const auto& a : plugin->manifest.actions) available.emplace_back(a.slug);
    return fail(
        "ACTION_NOT_FOUND", "Action does not exist for this integration",
        {{"action", req.action}, {"integration", rec.provider}, {"available_actions", std::move(available)}});
  }

  ExecuteResult early;
  early.action_name = action->name;
  early.integration_name = plugin->manifest.name;
  auto with_names = [&](ExecuteResult r) {
    r.action_name = early.action_name;
    r.integration_name = early.integration_name;
    return r;
  };
  if (rec.status != "connected" && rec.status != "pending")
    return with_names(
        fail("CONNECTION_INACTIVE", "Connection is " + rec.status,
             rec.status_reason.empty()
                 ? boost::json::object{{"status", rec.status}, {"connection_id", rec.id}}
                 : boost::json::object{
                       {"status", rec.status}, {"connection_id", rec.id}, {"reason", rec.status_reason}}));
  if (!rec.sealed_credentials && !conn->credentials && conn->decrypt_error.empty() && rec.auth_type != "none")
    return with_names(
        fail("NO_CREDENTIALS", "No credentials found for connection", {{"connection_id", rec.id}}));

  if (auto err = action->parameters->validate(req.parameters)) {
    boost::json::object d{{"field", err->field}, {"keyword", err->keyword}, {"reason", err->message}};
    if (err->keyword == "required")
      return with_names(
          fail("MISSING_REQUIRED_FIELDS", "Missing required parameter: " + err->field, std::move(d)));
    return with_names(
        fail("INVALID_REQUEST",
             "Invalid parameter " + (err->field.empty() ? "parameters" : err->field) + ": " + err->message,
             std::move(d)));
  }
  if (!conn->decrypt_error.empty()) {
    spdlog::error("connection {}: credentials cannot be decrypted: {}", rec.id, conn->decrypt_error);
    return with_names(fail("CREDENTIAL_DECRYPTION_FAILED", "Failed to decrypt credentials",
                           {{"connection_id", rec.id}, {"reason", conn->decrypt_error}}));
  }
  if (!conn->inject_error.empty())
    return with_names(fail("NO_CREDENTIALS", "The connection's credentials are incomplete",
                           {{"connection_id", rec.id}, {"reason", conn->inject_error}}));
  if (tokens_ != nullptr) {  // an OAuth token about to expire is refreshed first
    try {
      conn = tokens_->ensure_fresh(conn, options_.default_deadline);
    } catch (const TokenRefreshFailure& f) {
      ExecuteResult r;
      r.error = f.error;
      return with_names(std::move(r));
    }
  }
  return invoke(req, *plugin, *action, conn);
}

void ExecuteService::prepare_call(pb_call& call, const plugins::Manifest& m, const ResolvedConnection& conn,
                                  std::string_view request_id) const {
  auto base = options_.base_urls.find(m.id);
  call.http = &http_;
  call.manifest = &m;
  call.credentials = conn.credentials ? &*conn.credentials : nullptr;
  call.injected = conn.injected ? &*conn.injected : nullptr;
  call.config = &conn.configuration;
  call.base_url = !conn.base_url.empty()             ? std::string_view(conn.base_url)
                  : base != options_.base_urls.end() ? std::string_view(base->second)
                                                     : std::string_view(m.base_url);
  call.request_id = request_id;
  call.workspace_id = conn.record.workspace_id;
  call.project_id = conn.record.project_id;
  call.connection_id = conn.record.id;
  call.auth = m.find_auth(conn.record.auth_type);
}

ConnectionTest ExecuteService::test_connection(const auth::Principal& who, const std::string& connection_id,
                                               const std::string& request_id) {
  ConnectionTest t;
  auto conn = connections_.resolve(connection_id);
  if (!conn || conn->record.workspace_id != who.workspace_id || !who.allows_project(conn->record.project_id))
    throw ServiceError::not_found("connection " + connection_id);
  auto plugin = registry_.get()->find(conn->record.provider);
  if (!plugin) {
    t.error = {"INTEGRATION_NOT_FOUND",
               "The connection's plugin is not loaded",
               {{"provider", conn->record.provider}}};
    return t;
  }
  const auto& rec = conn->record;
  if (rec.status != "connected" && rec.status != "pending") {
    t.error = {"CONNECTION_INACTIVE",
               "Connection is " + rec.status,
               {{"status", rec.status}, {"reason", rec.status_reason}}};
    return t;
  }
  if (!rec.sealed_credentials && !conn->credentials && rec.auth_type != "none") {
    t.error = {"NO_CREDENTIALS", "No credentials found for connection", {}};
    return t;
  }
  if (!conn->decrypt_error.empty()) {
    t.error = {"CREDENTIAL_DECRYPTION_FAILED", "Failed to decrypt credentials", {}};
    return t;
  }
  if (plugin->api->test_connection == nullptr) {
    t.error = {"NOT_SUPPORTED", "Provider " + rec.provider + " has no connection test", {}};
    return t;
  }
  const auto started = std::chrono::steady_clock::now();
  try {
    if (tokens_ != nullptr) conn = tokens_->ensure_fresh(conn, options_.default_deadline);
  } catch (const TokenRefreshFailure& f) {
    t.error = f.error;
    return t;
  }
  pb_call call;
  prepare_call(call, plugin->manifest, *conn, request_id);
  call.action = "test-connection";
  call.idempotent = true;
  call.deadline = started + options_.default_deadline;
  std::optional<CallRefresher> refresher;
  if (tokens_ != nullptr && rec.auth_type == "oauth2") {
    refresher.emplace(*tokens_, call, conn);
    call.refresher = &*refresher;
  }
  std::string out;
  pb_writer writer{&out, &append};
  int32_t status = PB_ERROR;
  try {
    status = plugin->api->test_connection(&call, &writer);
  } catch (...) {
    out = R"({"code":"PLUGIN_EXCEPTION","message":"plugin threw across the ABI boundary"})";
  }
  t.response_time_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
          .count();
  boost::system::error_code ec;
  auto v = boost::json::parse(out, ec);
  if (status == PB_OK && !ec && v.is_object()) {
    t.ok = true;
    t.details = std::move(v.as_object());
  } else if (refresher && refresher->failure) {
    t.error = *refresher->failure;
  } else {
    t.error = plugin_failure(plugin->id(), out, false);
  }
  return t;
}

ExecuteResult ExecuteService::invoke(ExecuteRequest& req, const plugins::LoadedPlugin& plugin,
                                     const plugins::Action& action,
                                     const std::shared_ptr<const ResolvedConnection>& conn_ptr) {
  const ResolvedConnection& conn = *conn_ptr;
  const auto& m = plugin.manifest;
  ExecuteResult result;
  result.execution_id = "exec_" + vault::random_hex(12);
  result.action_name = action.name;
  result.integration_name = m.name;

  const auto deadline_ms =
      m.deadline_ms > 0 ? std::chrono::milliseconds(m.deadline_ms) : options_.default_deadline;
  pb_call call;
  prepare_call(call, m, conn, req.request_id);
  call.action = action.slug;
  call.idempotent = action.idempotent;
  std::optional<CallRefresher> refresher;
  if (tokens_ != nullptr && conn.record.auth_type == "oauth2") {
    refresher.emplace(*tokens_, call, conn_ptr);
    call.refresher = &*refresher;
  }
  const auto started_wall = std::chrono::system_clock::now();
  const auto started = std::chrono::steady_clock::now();
  call.deadline = started + deadline_ms;

  const std::string params = serialize_once(req.parameters, req.parameters_size_hint);
  req.parameters = {};  // the plugin gets the text; the tree is no longer needed
  std::string out;
  pb_writer writer{&out, &append};
  int32_t status = PB_ERROR;
  {
    std::unique_lock<std::mutex> serial;
    if (plugin.serial) serial = std::unique_lock(*plugin.serial);
    try {
      status = plugin.api->invoke_action(&call, action.slug.data(), action.slug.size(), params.data(),
                                         params.size(), &writer);
    } catch (...) {  // a plugin that breaks the ABI contract by throwing; keep serving
      status = PB_ERROR;
      out = R"({"code":"PLUGIN_EXCEPTION","message":"plugin threw across the ABI boundary"})";
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  const bool out_of_time = elapsed >= deadline_ms;

  if (status == PB_OK && !out_of_time) {
    if (!is_one_json_value(out)) {
      result.error = {"EXECUTION_FAILED",
                      "plugin " + m.id + " returned a result that is not JSON",
                      {{"provider", m.id}, {"error_code", "PLUGIN_PROTOCOL_ERROR"}}};
    } else {
      result.ok = true;
      result.data_json = out;
    }
  } else if (status == PB_OK) {
    result.error = {"EXECUTION_FAILED",
                    "Action exceeded its deadline of " + std::to_string(deadline_ms.count()) + " ms",
                    {{"provider", m.id}, {"deadline_exceeded", true}, {"retryable", true}}};
  } else if (refresher && refresher->failure) {
    result.error = *refresher->failure;  // the provider rejected the token and refreshing it failed
  } else {
    result.error = plugin_failure(m.id, out, out_of_time);
  }

  store::Execution e;
  e.id = result.execution_id;
  e.request_id = req.request_id;
  e.event_id = req.event_id;
  e.workspace_id = req.workspace_id;
  e.project_id = req.project_id;
  e.connection_id = conn.record.id;
  e.provider = m.id;
  e.action = action.slug;
  e.status = result.ok ? "success" : "error";
  e.error_code = result.ok ? ""
                           : std::string(result.error.details.contains("error_code")
                                             ? result.error.details.at("error_code").as_string().c_str()
                                             : result.error.code.c_str());
  e.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  e.started_at = store::to_iso(started_wall);
  e.parameters_json = capped(params, options_.max_logged_payload);
  e.result_json =
      capped(result.ok ? out : boost::json::serialize(result.error.details), options_.max_logged_payload);
  log_.record(std::move(e));
  return result;
}

}  // namespace plugboard::execute

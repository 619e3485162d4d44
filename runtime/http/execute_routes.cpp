// POST /api/v2/execute and v1 POST /api/execute/{connection_id}/{action}: seed 004's
// envelope to the letter, every failure in its error table with the status it gives.
#include "http/execute_envelope.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/services.hpp"
#include "store/iso_time.hpp"

namespace plugboard::http {
namespace {

namespace json = boost::json;

json::object metadata(const Exchange& ex, const execute::ExecuteResult* r) {
  json::object m;
  if (r != nullptr && !r->execution_id.empty()) m["execution_id"] = r->execution_id;
  m["request_id"] = ex.request_id();
  m["timestamp"] = store::now_iso();
  if (r != nullptr && !r->action_name.empty()) m["action"] = r->action_name;
  if (r != nullptr && !r->integration_name.empty()) m["integration"] = r->integration_name;
  return m;
}

void send_failure(Exchange& ex, const execute::ExecuteError& e, const execute::ExecuteResult* r = nullptr) {
  ex.send_json(
      e.http_status(),
      json::object{{"success", false},
                   {"error", json::object{{"code", e.code}, {"message", e.message}, {"details", e.details}}},
                   {"metadata", metadata(ex, r)}});
}

// The hot path: the plugin's JSON goes in as it came, with no tree built around it.
void send_result(Exchange& ex, execute::ExecuteResult& r) {
  if (!r.ok) return send_failure(ex, r.error, &r);
  const std::string meta = json::serialize(metadata(ex, &r));
  std::string body;
  body.reserve(r.data_json.size() + meta.size() + 40);
  body += R"({"success":true,"data":)";
  body += r.data_json;
  body += R"(,"metadata":)";
  body += meta;
  body += '}';
  ex.send_text(200, "application/json; charset=utf-8", body);
}

// Authenticates and spends the key's rate limit, answering in the execute envelope's own
// codes. Returns false when it has answered.
bool authenticate_execute(Exchange& ex, Services& s) {
  std::string failure = authenticate(ex, s.keys);
  if (failure == "unauthorized") {
    send_failure(ex, {"UNAUTHORIZED", "No valid authentication provided", {}});
    return false;
  }
  if (!failure.empty()) {
    send_failure(ex, {"INVALID_API_KEY", "The provided API key is invalid or inactive", {}});
    return false;
  }
  if (const auto limit = take_rate_limit(ex, s.limits); !limit.allowed) {
    send_failure(ex, {"RATE_LIMITED",
                      "Rate limit exceeded for this API key",
                      {{"retry_after", limit.retry_after_s}, {"limit", limit.limit}}});
    return false;
  }
  return true;
}

// Reads the body as a JSON object, answering INVALID_REQUEST (or 413) when it is not one.
std::optional<json::object> read_object(Exchange& ex, bool empty_is_object = false) {
  try {
    if (empty_is_object && ex.body().empty()) return json::object{};
    std::string error;
    auto body = ex.json_body(error);
    if (!body) send_failure(ex, {"INVALID_REQUEST", "Request body is not valid JSON", {{"reason", error}}});
    return body;
  } catch (const BodyTooLarge& e) {
    send_failure(ex, {"PAYLOAD_TOO_LARGE", "Request body is too large", {{"reason", e.what()}}});
    return std::nullopt;
  }
}

}  // namespace

void add_execute_routes(Router& r, Services& s) {
  r.add("POST", "/api/v2/execute", Access::self, [&s](Exchange& ex) {
    if (!authenticate_execute(ex, s)) return;
    auto body = read_object(ex);
    if (!body) return;

    execute::ExecuteRequest req;
    if (auto error = read_execute_envelope(*body, ex.header("X-User-Id"), req))
      return send_failure(ex, *error);
    req.request_id = ex.request_id();
    req.principal = ex.principal.get();
    req.parameters_size_hint = ex.body_size();
    auto result = s.execute.execute(std::move(req));
    send_result(ex, result);
  });

  r.add("POST", "/api/execute/{connection_id}/{action}", Access::self, [&s](Exchange& ex) {
    if (!authenticate_execute(ex, s)) return;
    execute::ExecuteRequest req;
    req.workspace_id = ex.header("X-Workspace-ID");
    req.project_id = ex.header("X-Project-ID");
    json::array missing;
    if (req.workspace_id.empty()) missing.emplace_back("X-Workspace-ID");
    if (req.project_id.empty()) missing.emplace_back("X-Project-ID");
    if (!missing.empty())
      return send_failure(
          ex, {"MISSING_REQUIRED_FIELDS", "Missing required headers", {{"missing_fields", missing}}});
    auto body = read_object(ex, true);  // v1: the body is the parameters, and may be empty
    if (!body) return;
    req.connection_id = ex.param("connection_id");
    req.user_id = ex.header("X-User-Id");
    req.action = ex.param("action");
    req.parameters = std::move(*body);
    req.request_id = ex.request_id();
    req.principal = ex.principal.get();
    req.parameters_size_hint = ex.body_size();
    auto result = s.execute.execute(std::move(req));
    send_result(ex, result);
  });
}

}  // namespace plugboard::http

#include "http/execute_envelope.hpp"

namespace plugboard::http {

namespace json = boost::json;

std::optional<execute::ExecuteError> read_execute_envelope(json::object& body, const std::string& user_header,
                                                           execute::ExecuteRequest& req) {
  json::array missing, wrong;
  auto take = [&](const char* name, std::string& into) {
    const json::value* v = body.if_contains(name);
    if (v == nullptr || v->is_null() || (v->is_string() && v->get_string().empty()))
      missing.emplace_back(name);
    else if (!v->is_string())
      wrong.emplace_back(name);
    else
      into = std::string(v->get_string());
  };
  take("workspace_id", req.workspace_id);
  take("project_id", req.project_id);
  take("connection_id", req.connection_id);
  take("action", req.action);
  if (!missing.empty())
    return execute::ExecuteError{
        "MISSING_REQUIRED_FIELDS", "Missing required fields in body", {{"missing_fields", missing}}};
  if (!wrong.empty())
    return execute::ExecuteError{"INVALID_REQUEST", "Fields must be strings", {{"invalid_fields", wrong}}};
  if (const json::value* u = body.if_contains("user_id"); u != nullptr && !u->is_null()) {
    if (!u->is_string())
      return execute::ExecuteError{"INVALID_REQUEST", "user_id must be a string", {{"field", "user_id"}}};
    req.user_id = std::string(u->get_string());
  } else {
    req.user_id = user_header;
  }
  if (json::value* p = body.if_contains("parameters"); p != nullptr && !p->is_null()) {
    if (!p->is_object())
      return execute::ExecuteError{
          "INVALID_REQUEST", "parameters must be a JSON object", {{"field", "parameters"}}};
    req.parameters = std::move(p->as_object());  // a move, not a copy: uploads can be large
  }
  return std::nullopt;
}

}  // namespace plugboard::http

#include "actions.hpp"
#include "drive_api.hpp"
#include "params.hpp"

#include <string>

namespace google_drive {

json::value share_file(plugboard::Context& ctx, const json::object& params) {
  const std::string file_id = string_param(params, "fileId");
  const std::string email = string_param(params, "emailAddress");
  const std::string role = string_param(params, "role", "reader");
  const bool notify = bool_param(params, "sendNotificationEmail", true);
  if (file_id.empty()) throw invalid_parameter("fileId", "is required");
  if (email.empty()) throw invalid_parameter("emailAddress", "is required");

  json::object body;
  body["type"] = "user";
  body["role"] = role;
  body["emailAddress"] = email;
  std::string url =
      "/drive/v3/files/" + url_encode(file_id) +
      "/permissions?fields=id,type,role,emailAddress&sendNotificationEmail=" + (notify ? "true" : "false");
  // Drive requires transferOwnership=true to make someone the owner.
  if (role == "owner") url += "&transferOwnership=true";
  if (std::string message = string_param(params, "emailMessage"); notify && !message.empty())
    url += "&emailMessage=" + url_encode(message);
  json::object perm = post(ctx, "permissions.create", std::move(url), body);

  json::object out;
  out["permission_id"] = string_param(perm, "id");
  out["role"] = string_param(perm, "role", role);
  out["email"] = string_param(perm, "emailAddress", email);
  return out;
}

}  // namespace google_drive

#include "actions.hpp"
#include "drive_api.hpp"
#include "params.hpp"

#include <string>

namespace google_drive {

json::object test_connection(plugboard::Context& ctx) {
  json::object about = get(ctx, "about.get", "/drive/v3/about?fields=user");
  const json::value* u = about.if_contains("user");
  if (u == nullptr || !u->is_object())
    throw plugboard::ActionError{"INVALID_RESPONSE", "Google Drive about.get returned no user"};
  const json::object& user = u->get_object();

  json::object user_info;
  user_info["email"] = string_param(user, "emailAddress");
  user_info["name"] = string_param(user, "displayName");
  if (std::string id = string_param(user, "permissionId"); !id.empty()) user_info["permission_id"] = id;
  if (std::string photo = string_param(user, "photoLink"); !photo.empty()) user_info["photo_link"] = photo;
  json::object out;
  out["user_info"] = std::move(user_info);
  return out;
}

}  // namespace google_drive

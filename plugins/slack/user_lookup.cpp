#include "actions.hpp"
#include "params.hpp"
#include "slack_api.hpp"

#include <string>

namespace slack {

json::value user_lookup(plugboard::Context& ctx, const json::object& params) {
  std::string email = string_param(params, "email");
  json::object found = get(ctx, "users.lookupByEmail", {{"email", email}});

  const json::value* u = found.if_contains("user");
  if (u == nullptr || !u->is_object())
    throw plugboard::ActionError{"INVALID_RESPONSE", "Slack users.lookupByEmail returned no user"};
  const json::object& user = u->get_object();
  // Names and the address live in the profile; older answers repeat real_name at the top.
  json::object profile;
  if (const json::value* p = user.if_contains("profile"); p != nullptr && p->is_object())
    profile = p->get_object();

  json::object out;
  out["id"] = string_param(user, "id");
  out["name"] = string_param(user, "name");
  out["real_name"] = string_param(user, "real_name", string_param(profile, "real_name"));
  out["email"] = string_param(profile, "email", email);
  out["is_bot"] = bool_param(user, "is_bot");
  out["tz"] = string_param(user, "tz");
  return out;
}

}  // namespace slack

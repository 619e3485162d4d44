#include "actions.hpp"
#include "graph_api.hpp"
#include "params.hpp"
#include "webhook.hpp"

namespace teams {

json::object test_connection(plugboard::Context& ctx) {
  json::object user_info;
  if (const std::string hook = webhook_url(ctx); !hook.empty()) {
    // Any request to an incoming webhook posts to the channel, so the test only checks the
    // URL's shape and reports its host (never its path, which is the secret).
    const std::string host = url_host(hook);
    if ((hook.rfind("https://", 0) != 0 && hook.rfind("http://", 0) != 0) || host.empty())
      throw plugboard::ActionError{"INVALID_CREDENTIALS",
                                   "the connection's webhook_url is not an http(s) URL",
                                   {{"retryable", false}}};
    user_info["mode"] = "webhook";
    user_info["host"] = host;
  } else {
    json::object me = get(ctx, "/me?$select=id,displayName,mail,userPrincipalName");
    user_info["email"] = string_param(me, "mail", string_param(me, "userPrincipalName"));
    user_info["name"] = string_param(me, "displayName");
    user_info["id"] = string_param(me, "id");
  }
  json::object out;
  out["user_info"] = std::move(user_info);
  return out;
}

}  // namespace teams

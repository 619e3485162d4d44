#include "actions.hpp"
#include "params.hpp"
#include "slack_api.hpp"

#include <string>

namespace slack {

json::object test_connection(plugboard::Context& ctx) {
  plugboard::HttpRequest req;
  req.url = "/auth.test";
  plugboard::HttpResponse resp = ctx.http(req);
  json::object who = check(ctx, "auth.test", resp);

  json::object user_info;
  user_info["name"] = string_param(who, "user");
  user_info["team"] = string_param(who, "team");
  user_info["user_id"] = string_param(who, "user_id");
  user_info["team_id"] = string_param(who, "team_id");
  user_info["url"] = string_param(who, "url");

  json::object out;
  out["user_info"] = std::move(user_info);
  // Slack lists the token's scopes in a header: "chat:write,channels:read".
  if (std::string granted = resp.header("x-oauth-scopes"); !granted.empty()) {
    json::array scopes;
    std::string::size_type start = 0;
    while (start <= granted.size()) {
      std::string::size_type end = granted.find(',', start);
      if (end == std::string::npos) end = granted.size();
      std::string scope = granted.substr(start, end - start);
      scope.erase(0, scope.find_first_not_of(' '));
      if (!scope.empty()) scopes.emplace_back(scope);
      start = end + 1;
    }
    out["scopes"] = std::move(scopes);
  }
  return out;
}

}  // namespace slack

#include "actions.hpp"
#include "graph_api.hpp"
#include "params.hpp"

namespace teams {

json::value list_teams(plugboard::Context& ctx, const json::object& params) {
  const std::int64_t max_pages = int_param(params, "max_pages", 10);
  if (max_pages < 1 || max_pages > 50) throw invalid_parameter("max_pages", "must be between 1 and 50");
  Collection c = list_pages(ctx, "/me/joinedTeams?$select=id,displayName,description", "/me/joinedTeams",
                            string_param(params, "next_link"), max_pages);
  json::array teams;
  for (const json::value& v : c.items) {
    const json::object& t = v.get_object();
    json::object item;
    item["id"] = string_param(t, "id");
    item["displayName"] = string_param(t, "displayName");
    const json::value* d = t.if_contains("description");
    item["description"] = d != nullptr && d->is_string() ? *d : json::value(nullptr);
    teams.push_back(std::move(item));
  }
  json::object out;
  out["teams"] = std::move(teams);
  out["next_link"] = c.next_link;
  return out;
}

}  // namespace teams

#include "actions.hpp"
#include "graph_api.hpp"
#include "params.hpp"

namespace teams {

json::value list_channels(plugboard::Context& ctx, const json::object& params) {
  const std::string team_id = string_param(params, "team_id");
  if (team_id.empty()) throw invalid_parameter("team_id", "is required");
  const std::int64_t max_pages = int_param(params, "max_pages", 10);
  if (max_pages < 1 || max_pages > 50) throw invalid_parameter("max_pages", "must be between 1 and 50");
  const std::string resource = "/teams/" + path_segment(team_id) + "/channels";
  Collection c = list_pages(ctx, resource + "?$select=id,displayName,description,membershipType", resource,
                            string_param(params, "next_link"), max_pages);
  json::array channels;
  for (const json::value& v : c.items) {
    const json::object& ch = v.get_object();
    json::object item;
    item["id"] = string_param(ch, "id");
    item["displayName"] = string_param(ch, "displayName");
    const json::value* d = ch.if_contains("description");
    item["description"] = d != nullptr && d->is_string() ? *d : json::value(nullptr);
    item["membershipType"] = string_param(ch, "membershipType", "standard");
    channels.push_back(std::move(item));
  }
  json::object out;
  out["channels"] = std::move(channels);
  out["next_link"] = c.next_link;
  return out;
}

}  // namespace teams

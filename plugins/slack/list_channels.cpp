#include "actions.hpp"
#include "params.hpp"
#include "slack_api.hpp"

#include <string>

namespace slack {

json::value list_channels(plugboard::Context& ctx, const json::object& params) {
  std::int64_t limit = int_param(params, "limit", 100);
  if (limit < 1 || limit > 1000) throw invalid_parameter("limit", "must be between 1 and 1000");

  json::object page = get(ctx, "conversations.list",
                          {{"cursor", string_param(params, "cursor")},
                           {"limit", std::to_string(limit)},
                           {"types", string_param(params, "types", "public_channel")},
                           {"exclude_archived", bool_param(params, "exclude_archived") ? "true" : ""}});

  json::array channels;
  if (const json::value* list = page.if_contains("channels"); list != nullptr && list->is_array()) {
    for (const json::value& v : list->get_array()) {
      if (!v.is_object()) continue;
      const json::object& c = v.get_object();
      json::object item;
      item["id"] = string_param(c, "id");
      item["name"] = string_param(c, "name");
      item["is_private"] = bool_param(c, "is_private");
      item["is_member"] = bool_param(c, "is_member");
      channels.push_back(std::move(item));
    }
  }
  // Slack ends a listing with an empty next_cursor (or none at all).
  std::string next_cursor;
  if (const json::value* meta = page.if_contains("response_metadata"); meta != nullptr && meta->is_object())
    next_cursor = string_param(meta->get_object(), "next_cursor");

  json::object out;
  out["channels"] = std::move(channels);
  out["next_cursor"] = next_cursor;
  return out;
}

}  // namespace slack

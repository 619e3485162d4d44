#include "actions.hpp"
#include "params.hpp"
#include "slack_api.hpp"

#include <string>

namespace slack {

json::value create_channel(plugboard::Context& ctx, const json::object& params) {
  json::object req;
  req["name"] = string_param(params, "name");
  req["is_private"] = bool_param(params, "is_private");
  json::object created = post(ctx, "conversations.create", req);

  const json::value* ch = created.if_contains("channel");
  if (ch == nullptr || !ch->is_object())
    throw plugboard::ActionError{"INVALID_RESPONSE", "Slack conversations.create returned no channel"};
  const json::object& channel = ch->get_object();

  json::object out;
  out["id"] = string_param(channel, "id");
  out["name"] = string_param(channel, "name");
  out["is_private"] = bool_param(channel, "is_private");
  out["purpose"] = "";

  // The channel exists now: failing here would make a retry fail with name_taken, so a purpose
  // Slack refuses is reported as a warning beside the created channel.
  if (std::string purpose = string_param(params, "purpose"); !purpose.empty()) {
    json::object set;
    set["channel"] = out["id"];
    set["purpose"] = purpose;
    try {
      post(ctx, "conversations.setPurpose", set);
      out["purpose"] = purpose;
    } catch (const plugboard::ActionError& e) {
      ctx.warn("Slack create-channel: channel created but purpose not set: " + e.message);
      out["warnings"] = json::array{json::value("purpose not set: " + e.message)};
    }
  }
  return out;
}

}  // namespace slack

// The Slack plugin's handlers, one file each. All are stateless and so reentrant: the host
// calls them from many threads at once.
#pragma once

#include <plugboard/sdk.hpp>

namespace slack {

namespace json = boost::json;

// chat.postMessage (+ chat.getPermalink) -> {message_id, channel, timestamp, permalink?}
json::value send_message(plugboard::Context& ctx, const json::object& params);

// conversations.list -> {channels: [{id, name, is_private, is_member}], next_cursor}
json::value list_channels(plugboard::Context& ctx, const json::object& params);

// conversations.create (+ conversations.setPurpose) -> {id, name, is_private, purpose}
json::value create_channel(plugboard::Context& ctx, const json::object& params);

// users.lookupByEmail -> {id, name, real_name, email, is_bot, tz}
json::value user_lookup(plugboard::Context& ctx, const json::object& params);

// auth.test -> {user_info: {name, team, user_id, team_id, url}, scopes?}
json::object test_connection(plugboard::Context& ctx);

// The Events API trigger: verifies Slack's signature, answers url_verification, and turns
// each event_callback into an event "slack.<type>".
plugboard::WebhookResult events_hook(plugboard::Context& ctx, const plugboard::WebhookRequest& req);

}  // namespace slack

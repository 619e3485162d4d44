// The Teams plugin's handlers, one file each. All are stateless and so reentrant: the host
// calls them from many threads at once.
#pragma once

#include <plugboard/sdk.hpp>

namespace teams {

namespace json = boost::json;

// Graph: POST /teams/{team}/channels/{channel}/messages -> {message_id, team_id, channel_id,
// web_url, created_at, mode: "graph"}. Webhook mode: POST to the connection's webhook_url ->
// {delivered: true, mode: "webhook"}.
json::value send_message(plugboard::Context& ctx, const json::object& params);

// GET /me/joinedTeams (paged) -> {teams: [{id, displayName, description}], next_link}
json::value list_teams(plugboard::Context& ctx, const json::object& params);

// GET /teams/{team}/channels (paged) -> {channels: [{id, displayName, description, membershipType}],
// next_link}
json::value list_channels(plugboard::Context& ctx, const json::object& params);

// GET /me -> {user_info: {email, name, id}}; webhook mode: {user_info: {mode, host}} without a request.
json::object test_connection(plugboard::Context& ctx);

// The channel-message trigger (Graph change notifications), in channel_message_trigger.cpp:
// register or renew the Graph subscription -> {expires_at}; remove it; verify and turn one
// notification request into events. The Graph subscription lives in the trigger's state.
json::object subscribe_channel_messages(plugboard::Context& ctx);
void unsubscribe_channel_messages(plugboard::Context& ctx);
plugboard::WebhookResult channel_message_hook(plugboard::Context& ctx, const plugboard::WebhookRequest& req);

}  // namespace teams

// The channel-message webhook trigger, on Microsoft Graph change notifications.
//
// subscribe   POST /subscriptions (changeType created, resource
//             /teams/{team}/channels/{channel}/messages, notificationUrl = the hook URL,
//             clientState = a random secret). Graph keeps a channel-message subscription at
//             most 60 minutes, so the host calls subscribe again before expires_at: that PATCHes
//             the subscription's expirationDateTime, and creates a new one when Graph answers
//             404 (it deleted the subscription, e.g. after failed deliveries).
// unsubscribe DELETE /subscriptions/{id}.
// hook        Graph's validation handshake (?validationToken=... echoed as text/plain; Graph
//             sends it before answering the POST /subscriptions), then notifications: each must
//             carry our clientState (compared in constant time; 401 otherwise). Notifications
//             without resource data name the message; we fetch it, as Graph's docs advise.
//
// The state {subscription_id, client_state, expires_at} lives in the subscription's trigger
// state, which clients never see. The clientState survives re-subscribing, so notifications
// still in flight for the old Graph subscription verify.
#include "actions.hpp"
#include "graph_api.hpp"
#include "params.hpp"

#include <openssl/rand.h>

#include <chrono>
#include <ctime>
#include <string>

namespace teams {
namespace {

using plugboard::ActionError;

// Graph refuses a channel-message subscription that lives longer than 60 minutes; stay under
// it with room for clock skew.
constexpr auto kLifetime = std::chrono::minutes(55);

std::string iso(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.0000000Z", &tm);
  return buf;
}

std::string random_secret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    throw ActionError{
        "RANDOM_FAILED", "no randomness for the subscription's clientState", {{"retryable", true}}};
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

json::object state_of(const plugboard::Context& ctx) {
  json::value v = ctx.state();
  return v.is_object() ? v.get_object() : json::object{};
}

std::string messages_resource(const json::object& config) {
  return "/teams/" + path_segment(required_string(config, "team_id")) + "/channels/" +
         path_segment(required_string(config, "channel_id")) + "/messages";
}

plugboard::HttpResponse send(const plugboard::Context& ctx, std::string method, std::string url,
                             const json::object* body) {
  plugboard::HttpRequest req =
      body != nullptr ? plugboard::HttpRequest::post_json({}, *body) : plugboard::HttpRequest{};
  req.url = std::move(url);
  req.method = std::move(method);
  req.headers["Accept"] = "application/json";
  return ctx.http(req);
}

json::object remember(const plugboard::Context& ctx, const std::string& id, const std::string& client_state,
                      const std::string& expires_at) {
  ctx.set_state(
      json::object{{"subscription_id", id}, {"client_state", client_state}, {"expires_at", expires_at}});
  return json::object{{"expires_at", expires_at}};
}

// The key in "...<segment>('<key>')..." of a notification's resource, or "".
std::string key_after(const std::string& resource, const std::string& segment) {
  const std::string open = segment + "('";
  const auto at = resource.find(open);
  if (at == std::string::npos) return {};
  const auto begin = at + open.size();
  const auto end = resource.find("')", begin);
  return end == std::string::npos ? std::string() : resource.substr(begin, end - begin);
}

// GET the message a notification names (a reply when the resource says so); null when Graph no
// longer has it (deleted since), so there is nothing to report.
json::value fetch_message(const plugboard::Context& ctx, const json::object& config,
                          const json::object& note) {
  const std::string resource = string_param(note, "resource");
  std::string message = key_after(resource, "messages");
  const std::string reply = key_after(resource, "replies");
  if (message.empty())
    if (const json::value* rd = note.if_contains("resourceData"); rd != nullptr && rd->is_object())
      message = string_param(rd->get_object(), "id");
  if (message.empty()) throw ActionError{"INVALID_REQUEST", "a notification names no message"};
  std::string url = messages_resource(config) + "/" + path_segment(message);
  if (!reply.empty()) url += "/replies/" + path_segment(reply);
  plugboard::HttpResponse resp = send(ctx, "GET", url, nullptr);
  if (resp.status == 404) return nullptr;
  return check(resp);
}

}  // namespace

json::object subscribe_channel_messages(plugboard::Context& ctx) {
  const json::object config = ctx.trigger_config();
  json::object state = state_of(ctx);
  std::string client_state = string_param(state, "client_state");
  if (client_state.empty()) client_state = random_secret();
  const std::string expires_at = iso(std::chrono::system_clock::now() + kLifetime);

  if (const std::string id = string_param(state, "subscription_id"); !id.empty()) {
    json::object patch{{"expirationDateTime", expires_at}};
    plugboard::HttpResponse resp = send(ctx, "PATCH", "/subscriptions/" + path_segment(id), &patch);
    if (resp.status != 404) {
      json::object renewed = check(resp);
      return remember(ctx, id, client_state, string_param(renewed, "expirationDateTime", expires_at));
    }
    ctx.info("Graph no longer has subscription " + id + "; creating a new one");
  }

  const json::object info = ctx.call_info();
  const json::value* trigger = info.if_contains("trigger");
  const std::string hook_url = trigger != nullptr && trigger->is_object()
                                   ? string_param(trigger->get_object(), "hook_url")
                                   : std::string();
  if (hook_url.empty()) throw ActionError{"INVALID_REQUEST", "the host gave no hook URL to subscribe with"};
  json::object body{{"changeType", "created"},
                    {"notificationUrl", hook_url},
                    {"resource", messages_resource(config)},
                    {"expirationDateTime", expires_at},
                    {"clientState", client_state},
                    {"latestSupportedTlsVersion", "v1_2"}};
  json::object created = check(send(ctx, "POST", "/subscriptions", &body));
  const std::string id = string_param(created, "id");
  if (id.empty()) throw ActionError{"INVALID_RESPONSE", "Graph created a subscription without an id"};
  return remember(ctx, id, client_state, string_param(created, "expirationDateTime", expires_at));
}

void unsubscribe_channel_messages(plugboard::Context& ctx) {
  const std::string id = string_param(state_of(ctx), "subscription_id");
  if (id.empty()) return;  // never registered at Graph
  plugboard::HttpResponse resp = send(ctx, "DELETE", "/subscriptions/" + path_segment(id), nullptr);
  if (resp.status != 404) check(resp);  // 404: Graph already dropped it
}

plugboard::WebhookResult channel_message_hook(plugboard::Context& ctx, const plugboard::WebhookRequest& req) {
  plugboard::WebhookResult result;
  // Graph's handshake on POST /subscriptions: echo the token within 10 seconds, as plain text.
  if (const std::string token = req.query_param("validationToken"); !token.empty()) {
    result.headers["Content-Type"] = "text/plain; charset=utf-8";
    result.body = token;
    return result;
  }

  const std::string expected = string_param(state_of(ctx), "client_state");
  if (expected.empty())
    throw ActionError{"UNAUTHORIZED",
                      "the subscription is not registered at Graph, so no notification is expected"};
  boost::system::error_code ec;
  json::value body = json::parse(req.body, ec);
  const json::value* value = !ec && body.is_object() ? body.get_object().if_contains("value") : nullptr;
  if (value == nullptr || !value->is_array())
    throw ActionError{"INVALID_REQUEST", "Graph notifications are a JSON object with a value array"};
  // Every notification must prove it comes from our subscription before any is acted upon.
  for (const json::value& n : value->get_array()) {
    const std::string got = n.is_object() ? string_param(n.get_object(), "clientState") : std::string();
    if (!plugboard::constant_time_equal(got, expected))
      throw ActionError{"INVALID_SIGNATURE", "clientState does not match the subscription's"};
  }

  const json::object config = ctx.trigger_config();
  for (const json::value& n : value->get_array()) {
    const json::object& note = n.get_object();
    if (string_param(note, "changeType") != "created") continue;
    json::value message = fetch_message(ctx, config, note);
    if (!message.is_object()) continue;
    plugboard::TriggerEvent e;
    e.id = string_param(message.get_object(), "id");
    e.occurred_at = string_param(message.get_object(), "createdDateTime");
    e.data = json::object{{"message", message},
                          {"team_id", string_param(config, "team_id")},
                          {"channel_id", string_param(config, "channel_id")},
                          {"change_type", "created"},
                          {"subscription_id", string_param(note, "subscriptionId")},
                          {"tenant_id", string_param(note, "tenantId")}};
    result.events.push_back(std::move(e));
  }
  result.status = 202;  // what Graph expects for an accepted notification
  return result;
}

}  // namespace teams

#include "actions.hpp"
#include "params.hpp"
#include "slack_api.hpp"
#include "workspace_url.hpp"

#include <plugboard/template.hpp>

#include <string>

namespace slack {

namespace {

// Fields passed to chat.postMessage as they are, when given.
constexpr const char* kPassThrough[] = {"username", "icon_emoji", "icon_url", "thread_ts", "unfurl_links"};

}  // namespace

json::value send_message(plugboard::Context& ctx, const json::object& params) {
  json::object body;
  body["channel"] = string_param(params, "channel");
  // `message` is the name seed 000's clients send; Slack calls it `text`.
  std::string text = string_param(params, "text", string_param(params, "message"));
  const json::array* blocks = array_param(params, "blocks");
  const json::array* attachments = array_param(params, "attachments");
  if (text.empty() && blocks == nullptr && attachments == nullptr)
    throw plugboard::ActionError{"INVALID_PARAMETERS",
                                 "send-message needs text (or message), blocks or attachments"};
  // Seed 000's messages carry {{field_456}} placeholders, filled from the parameters' context.
  const json::object* ctx_values = nullptr;
  if (const auto* c = params.if_contains("context"); c != nullptr && c->is_object())
    ctx_values = &c->get_object();
  const json::object no_context;
  const json::object& values = ctx_values != nullptr ? *ctx_values : no_context;
  if (!text.empty()) body["text"] = plugboard::fill_template(text, values);
  if (blocks != nullptr) body["blocks"] = plugboard::fill_templates(*blocks, values);
  if (attachments != nullptr) body["attachments"] = plugboard::fill_templates(*attachments, values);
  for (const char* key : kPassThrough)
    if (const json::value* v = params.if_contains(key); v != nullptr && !v->is_null()) body[key] = *v;

  json::object posted = post(ctx, "chat.postMessage", body);
  // Slack answers with the channel's id even when it was addressed by name.
  std::string channel = string_param(posted, "channel", string_param(params, "channel"));
  std::string ts = string_param(posted, "ts");

  json::object out;
  out["message_id"] = ts;
  out["channel"] = channel;
  out["timestamp"] = ts;
  // Built from the workspace URL rather than asked of chat.getPermalink: one call to Slack per
  // message instead of two. The message is already posted, so a missing workspace URL leaves
  // the permalink out rather than failing an action a client would retry (posting twice).
  if (std::string link = permalink(workspace_url(ctx), channel, ts, string_param(params, "thread_ts"));
      !link.empty())
    out["permalink"] = link;
  return out;
}

}  // namespace slack

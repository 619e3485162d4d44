#include "actions.hpp"
#include "graph_api.hpp"
#include "params.hpp"
#include "webhook.hpp"

#include <plugboard/template.hpp>

#include <random>
#include <string>

namespace teams {

namespace {

// A fresh attachment id, 32 hex digits like the ones Teams itself uses.
std::string new_attachment_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string id;
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = rng();
    for (int i = 0; i < 16; ++i, bits >>= 4) id += hex[bits & 0xF];
  }
  return id;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The message as the client sent it, with its {{field}} placeholders filled: an object
// ({"type": "message", "text"?, "attachments"?}) or a string of text, made {"text": ...}.
json::object filled_message(const json::object& params, const json::object& context) {
  const json::value* m = params.if_contains("message");
  if (m == nullptr || m->is_null()) throw invalid_parameter("message", "is required");
  if (m->is_string()) {
    json::object o;
    o["text"] = plugboard::fill_template(m->get_string(), context);
    return o;
  }
  if (!m->is_object()) throw invalid_parameter("message", "must be an object or a string");
  json::value filled = plugboard::fill_templates(*m, context);
  json::object msg = std::move(filled.get_object());
  if (const json::value* t = msg.if_contains("type");
      t != nullptr && !(t->is_string() && t->get_string() == "message"))
    throw invalid_parameter("message.type", "must be \"message\"");
  if (const json::value* t = msg.if_contains("text"); t != nullptr && !t->is_string())
    throw invalid_parameter("message.text", "must be a string");
  const json::value* a = msg.if_contains("attachments");
  if (a != nullptr && !a->is_array()) throw invalid_parameter("message.attachments", "must be an array");
  const bool has_text = msg.contains("text") && !msg.at("text").get_string().empty();
  const bool has_attachments = a != nullptr && !a->get_array().empty();
  if (!has_text && !has_attachments)
    throw plugboard::ActionError{
        "INVALID_PARAMETERS", "message needs text or at least one attachment", {{"parameter", "message"}}};
  return msg;
}

// Graph's chatMessage for a message: every attachment gets an id and its content as a JSON
// string, and the body references each one with <attachment id="..."></attachment>.
json::object chat_message(const json::object& msg, const std::string& subject) {
  const std::string text = string_param(msg, "text");
  json::object body;
  json::object out;
  const json::value* a = msg.if_contains("attachments");
  if (a == nullptr || a->get_array().empty()) {
    body["contentType"] = "text";
    body["content"] = text;
  } else {
    std::string html = html_escape(text);
    json::array attachments;
    std::size_t index = 0;
    for (const json::value& v : a->get_array()) {
      const std::string where = "message.attachments[" + std::to_string(index++) + "]";
      if (!v.is_object()) throw invalid_parameter(where, "must be an object");
      const json::object& in = v.get_object();
      json::object att;
      std::string id = string_param(in, "id");
      if (id.empty()) id = new_attachment_id();
      att["id"] = id;
      std::string content_type = string_param(in, "contentType");
      if (content_type.empty()) throw invalid_parameter(where + ".contentType", "is required");
      att["contentType"] = content_type;
      const json::value* content = in.if_contains("content");
      if (content != nullptr && !content->is_null()) {
        // Graph takes card content only as a string holding the card's JSON.
        att["content"] =
            content->is_string() ? content->get_string() : json::string(json::serialize(*content));
      } else if (!in.contains("contentUrl")) {
        throw invalid_parameter(where, "needs content or contentUrl");
      }
      for (const char* key : {"contentUrl", "name", "thumbnailUrl"})
        if (const json::value* x = in.if_contains(key); x != nullptr && x->is_string()) att[key] = *x;
      html += "<attachment id=\"" + html_escape(id) + "\"></attachment>";
      attachments.push_back(std::move(att));
    }
    body["contentType"] = "html";
    body["content"] = html;
    out["attachments"] = std::move(attachments);
  }
  out["body"] = std::move(body);
  if (!subject.empty()) out["subject"] = subject;
  return out;
}

}  // namespace

json::value send_message(plugboard::Context& ctx, const json::object& params) {
  json::object context;
  if (const json::value* c = params.if_contains("context"); c != nullptr && !c->is_null()) {
    if (!c->is_object()) throw invalid_parameter("context", "must be an object");
    context = c->get_object();
  }
  const json::object msg = filled_message(params, context);

  if (const std::string hook = webhook_url(ctx); !hook.empty()) {
    // Teams incoming webhooks take the message object as it is ({"type":"message","attachments":[...]})
    // and a plain {"text": "..."}.
    post_to_webhook(ctx, hook, msg);
    json::object out;
    out["delivered"] = true;
    out["mode"] = "webhook";
    return out;
  }

  const std::string team_id = string_param(params, "team_id");
  const std::string channel_id = string_param(params, "channel_id");
  if (team_id.empty()) throw invalid_parameter("team_id", "is required to post through Microsoft Graph");
  if (channel_id.empty())
    throw invalid_parameter("channel_id", "is required to post through Microsoft Graph");
  const std::string subject = plugboard::fill_template(string_param(params, "subject"), context);

  json::object posted =
      post(ctx, "/teams/" + path_segment(team_id) + "/channels/" + path_segment(channel_id) + "/messages",
           chat_message(msg, subject));
  json::object out;
  out["message_id"] = string_param(posted, "id");
  out["team_id"] = team_id;
  out["channel_id"] = channel_id;
  out["web_url"] = string_param(posted, "webUrl");
  out["created_at"] = string_param(posted, "createdDateTime");
  out["mode"] = "graph";
  return out;
}

}  // namespace teams

#include "actions.hpp"
#include "mime.hpp"
#include "settings.hpp"
#include "smtp_client.hpp"

#include <plugboard/template.hpp>

#include <cctype>
#include <set>
#include <string>
#include <vector>

namespace smtp {

using plugboard::ActionError;

namespace {

constexpr std::size_t kMaxMessageBytes = std::size_t{25} * 1024 * 1024;  // the whole rendered message
constexpr std::size_t kMaxRecipients = 100;                              // to + cc + bcc

ActionError invalid(std::string_view name, const std::string& why) {
  json::object d;
  d["parameter"] = name;
  return {"INVALID_PARAMETERS", std::string(name) + " " + why, std::move(d)};
}

std::string string_param(const json::object& params, std::string_view name) {
  const json::value* v = params.if_contains(name);
  if (v == nullptr || v->is_null()) return {};
  if (!v->is_string()) throw invalid(name, "must be a string");
  return std::string(v->get_string());
}

// to, cc, bcc, reply_to: a list of addresses, or one address as a string.
std::vector<Address> address_param(const json::object& params, std::string_view name) {
  std::vector<Address> out;
  const json::value* v = params.if_contains(name);
  if (v == nullptr || v->is_null()) return out;
  if (v->is_string()) {
    out.push_back(parse_address(v->get_string(), name));
    return out;
  }
  if (!v->is_array()) throw invalid(name, "must be a list of email addresses");
  std::size_t i = 0;
  for (const json::value& item : v->get_array()) {
    const std::string field = std::string(name) + "[" + std::to_string(i++) + "]";
    if (!item.is_string()) throw invalid(field, "must be a string");
    out.push_back(parse_address(item.get_string(), field));
  }
  return out;
}

// The context with every string HTML-escaped, for filling body_html: a value such as
// "<script>" shows as text instead of becoming markup.
json::value html_escaped(const json::value& v) {
  if (v.is_string()) {
    std::string out;
    for (char c : v.get_string()) {
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
        case '\'':
          out += "&#39;";
          break;
        default:
          out += c;
      }
    }
    return json::value(out);
  }
  if (v.is_array()) {
    json::array a;
    for (const auto& item : v.get_array()) a.push_back(html_escaped(item));
    return a;
  }
  if (v.is_object()) {
    json::object o;
    for (const auto& kv : v.get_object()) o[kv.key()] = html_escaped(kv.value());
    return o;
  }
  return v;
}

// type/subtype with token characters, optionally followed by parameters.
bool valid_content_type(std::string_view ct) {
  auto token = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("!#$&^_.+-").find(c) != std::string_view::npos;
  };
  std::size_t i = 0;
  auto run = [&] {
    std::size_t start = i;
    while (i < ct.size() && token(ct[i])) ++i;
    return i > start;
  };
  if (!run() || i >= ct.size() || ct[i] != '/') return false;
  ++i;
  if (!run()) return false;
  return i == ct.size() || ct[i] == ';';
}

std::vector<Attachment> attachments_param(const json::object& params, std::size_t& total) {
  std::vector<Attachment> out;
  const json::value* v = params.if_contains("attachments");
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_array()) throw invalid("attachments", "must be a list");
  std::size_t i = 0;
  for (const json::value& item : v->get_array()) {
    const std::string field = "attachments[" + std::to_string(i++) + "]";
    if (!item.is_object()) throw invalid(field, "must be an object {filename, content, content_type}");
    const json::object& o = item.get_object();
    Attachment a;
    a.filename = string_param(o, "filename");
    if (a.filename.empty()) throw invalid(field + ".filename", "is required");
    check_header_text(a.filename, field + ".filename");
    a.content_type = string_param(o, "content_type");
    if (a.content_type.empty()) a.content_type = "application/octet-stream";
    check_header_text(a.content_type, field + ".content_type");
    if (!valid_content_type(a.content_type))
      throw invalid(field + ".content_type", "is not a MIME type (type/subtype): '" + a.content_type + "'");
    const std::string content = string_param(o, "content");
    if (content.size() / 4 * 3 > kMaxMessageBytes)
      throw invalid(field + ".content",
                    "is larger than the " + std::to_string(kMaxMessageBytes >> 20) + " MB limit");
    auto data = base64_decode(content);
    if (!data) throw invalid(field + ".content", "is not valid base64");
    total += data->size();
    a.data = std::move(*data);
    out.push_back(std::move(a));
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

json::value send_email(plugboard::Context& ctx, const json::object& params) {
  const Settings settings = read_settings(ctx);

  json::object context;
  if (const json::value* c = params.if_contains("context"); c != nullptr && !c->is_null()) {
    if (!c->is_object()) throw invalid("context", "must be an object");
    context = c->get_object();
  }

  Message m;
  m.from = {settings.from_name, settings.from_email};
  m.to = address_param(params, "to");
  m.cc = address_param(params, "cc");
  std::vector<Address> bcc = address_param(params, "bcc");
  m.reply_to = address_param(params, "reply_to");
  // Placeholders are filled first and the results checked after: a context value must not be
  // able to smuggle a line break into the Subject header either.
  m.subject = plugboard::fill_template(string_param(params, "subject"), context);
  check_header_text(m.subject, "subject");
  m.text = plugboard::fill_template(string_param(params, "body_text"), context);
  if (const std::string html = string_param(params, "body_html"); !html.empty())
    m.html = plugboard::fill_template(html, html_escaped(context).get_object());
  std::size_t total = m.subject.size() + m.text.size() + m.html.size();
  m.attachments = attachments_param(params, total);
  if (total > kMaxMessageBytes)
    throw invalid("attachments",
                  "make the message larger than the " + std::to_string(kMaxMessageBytes >> 20) + " MB limit");

  // The envelope: every recipient once, bcc included (bcc never appears in a header).
  std::vector<std::string> envelope;
  std::set<std::string> seen;
  for (const std::vector<Address>* list : {&m.to, &m.cc, &bcc})
    for (const auto& a : *list)
      if (seen.insert(lower(a.email)).second) envelope.push_back(a.email);
  if (envelope.empty()) throw invalid("to", "needs at least one recipient (in to, cc or bcc)");
  if (envelope.size() > kMaxRecipients)
    throw invalid(
        "to", "has more than " + std::to_string(kMaxRecipients) + " recipients (to, cc and bcc together)");

  m.message_id = new_message_id(settings.from_email);
  const std::string message = render(m);

  Client client(settings, ctx);
  client.open();
  if (auto limit = client.size_limit(); limit && message.size() > *limit) {
    client.quit();
    json::object d;
    d["size"] = message.size();
    d["server_limit"] = *limit;
    d["retryable"] = false;
    throw ActionError{"SMTP_MESSAGE_TOO_LARGE", "the message is larger than the SMTP server accepts",
                      std::move(d)};
  }
  client.mail_from(settings.from_email);

  json::array accepted;
  json::array rejected;
  bool any_temporary = false;
  for (const auto& rcpt : envelope) {
    Reply r = client.rcpt_to(rcpt);
    if (r.code == 250 || r.code == 251) {
      accepted.emplace_back(rcpt);
      continue;
    }
    if (r.code / 100 != 4 && r.code / 100 != 5) throw client.reply_error(r, "rcpt_to");
    any_temporary = any_temporary || r.code / 100 == 4;
    json::object rej;
    rej["email"] = rcpt;
    rej["smtp_code"] = r.code;
    rej["smtp_message"] = r.text();
    rejected.push_back(std::move(rej));
  }
  if (accepted.empty()) {
    client.quit();
    json::object d;
    d["rejected"] = rejected;
    d["recipient"] = rejected.front().as_object().at("email");
    d["smtp_code"] = rejected.front().as_object().at("smtp_code");
    d["smtp_message"] = rejected.front().as_object().at("smtp_message");
    d["stage"] = "rcpt_to";
    d["retryable"] = any_temporary;
    throw ActionError{"SMTP_RECIPIENT_REJECTED",
                      "the SMTP server refused every recipient (first: " +
                          std::string(rejected.front().as_object().at("email").as_string()) + ")",
                      std::move(d)};
  }
  Reply done = client.data(message);
  client.quit();

  ctx.info("SMTP send-email: " + std::to_string(accepted.size()) + " recipient(s) accepted, " +
           std::to_string(rejected.size()) + " rejected by " + settings.host);
  json::object out;
  out["message_id"] = m.message_id;
  out["accepted"] = std::move(accepted);
  if (!rejected.empty()) out["rejected"] = std::move(rejected);
  out["smtp_response"] = std::to_string(done.code) + " " + done.text();
  return out;
}

}  // namespace smtp

#include "settings.hpp"

#include "mime.hpp"

#include <charconv>
#include <optional>
#include <string_view>

namespace smtp {

namespace json = boost::json;
using plugboard::ActionError;

namespace {

ActionError not_configured(std::string_view field, const std::string& why) {
  json::object d;
  d["field"] = field;
  return {"SMTP_NOT_CONFIGURED", "SMTP connection setting " + std::string(field) + " " + why, std::move(d)};
}

// One setting as text: credentials first, then (for non-secret settings) the configuration.
// Numbers and booleans are accepted in their JSON spelling (seed 000 sends smtp_port: 587 and
// use_tls: true); an empty string counts as absent.
class Source {
 public:
  Source(json::object credentials, json::object config)
      : credentials_(std::move(credentials)), config_(std::move(config)) {}

  std::optional<std::string> get(std::string_view name, bool secret = false) const {
    if (auto v = text(credentials_, name)) return v;
    if (!secret) return text(config_, name);
    return std::nullopt;
  }
  bool in_config(std::string_view name) const { return text(config_, name).has_value(); }

 private:
  static std::optional<std::string> text(const json::object& o, std::string_view name) {
    const json::value* v = o.if_contains(name);
    if (v == nullptr || v->is_null()) return std::nullopt;
    std::string s;
    if (v->is_string())
      s = std::string(v->get_string());
    else if (v->is_bool())
      s = v->get_bool() ? "true" : "false";
    else if (v->is_number())
      s = json::serialize(*v);
    else
      throw not_configured(name, "must be a string, number or boolean");
    if (s.empty()) return std::nullopt;
    return s;
  }

  json::object credentials_;
  json::object config_;
};

std::optional<bool> parse_bool(const std::string& s) {
  if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "0" || s == "no" || s == "off") return false;
  return std::nullopt;
}

bool has_control(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

}  // namespace

const char* tls_mode_name(TlsMode mode) {
  switch (mode) {
    case TlsMode::starttls:
      return "starttls";
    case TlsMode::implicit:
      return "implicit";
    case TlsMode::none:
      return "none";
  }
  return "starttls";
}

Settings read_settings(const plugboard::Context& ctx) {
  json::object config;
  json::object info = ctx.call_info();
  if (const json::value* c = info.if_contains("config"); c != nullptr && c->is_object())
    config = c->get_object();
  const Source src(ctx.credentials(), std::move(config));

  Settings s;
  s.host = src.get("smtp_host").value_or("");
  if (s.host.empty()) throw not_configured("smtp_host", "is required (in credentials or configuration)");
  if (has_control(s.host) || s.host.find(' ') != std::string::npos || s.host.size() > 253)
    throw not_configured("smtp_host", "is not a host name or address");

  if (auto port = src.get("smtp_port")) {
    const std::string_view text = *port;
    int p = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), p);
    if (ec != std::errc() || end != text.data() + text.size() || p < 1 || p > 65535)
      throw not_configured("smtp_port", "must be a port number (1-65535)");
    s.port = p;
  }

  // use_tls: "starttls" | "implicit" | "none", or seed 000's boolean (true: STARTTLS, or implicit
  // TLS on port 465, the SMTPS port; false: none).
  if (auto mode = src.get("use_tls")) {
    if (*mode == "starttls") {
      s.tls = TlsMode::starttls;
    } else if (*mode == "implicit" || *mode == "ssl" || *mode == "tls") {
      s.tls = TlsMode::implicit;
    } else if (*mode == "none") {
      s.tls = TlsMode::none;
    } else if (auto b = parse_bool(*mode)) {
      s.tls = !*b ? TlsMode::none : s.port == 465 ? TlsMode::implicit : TlsMode::starttls;
    } else {
      throw not_configured("use_tls", "must be starttls, implicit, none, true or false");
    }
  }
  if (s.port == 0) s.port = s.tls == TlsMode::implicit ? 465 : s.tls == TlsMode::starttls ? 587 : 25;

  s.password = src.get("smtp_password", /*secret=*/true).value_or("");
  if (s.password.empty() && src.in_config("smtp_password"))
    throw not_configured("smtp_password",
                         "must be given in the connection's credentials (which are encrypted), not in its "
                         "configuration");
  s.username = src.get("smtp_username").value_or("");
  s.from_email = src.get("from_email").value_or("");
  if (s.from_email.empty())
    throw not_configured("from_email", "is required (in credentials or configuration)");
  try {
    s.from_email = parse_address(s.from_email, "from_email").email;
  } catch (const ActionError& e) {
    throw not_configured("from_email", "is not an email address: " + e.message);
  }
  s.from_name = src.get("from_name").value_or("");
  if (has_control(s.from_name)) throw not_configured("from_name", "must not contain control characters");
  // Many providers use the sender's address as the account name.
  if (s.username.empty() && !s.password.empty()) s.username = s.from_email;
  if (!s.username.empty() && s.password.empty())
    throw not_configured("smtp_password", "is required when smtp_username is set");
  if (has_control(s.username)) throw not_configured("smtp_username", "must not contain control characters");

  if (auto verify = src.get("tls_verify")) {
    auto b = parse_bool(*verify);
    if (!b) throw not_configured("tls_verify", "must be true or false");
    s.tls_verify = *b;
  }
  s.tls_ca_file = src.get("tls_ca_file").value_or("");
  s.tls_ca_pem = src.get("tls_ca_pem").value_or("");
  return s;
}

}  // namespace smtp

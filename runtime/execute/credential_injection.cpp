#include "execute/credential_injection.hpp"

#include <Poco/Base64Encoder.h>

#include <sstream>

namespace plugboard::execute {
namespace {

std::string field(const boost::json::object& creds, const std::string& name) {
  const auto* v = creds.if_contains(name);
  if (v == nullptr || v->is_null())
    throw InjectionError("the connection's credentials have no field '" + name + "'");
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  throw InjectionError("credential field '" + name + "' is not a string");
}

std::string base64(const std::string& s) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << s;
  enc.close();
  return out.str();
}

}  // namespace

std::string expand_template(const std::string& tmpl, const boost::json::object& credentials) {
  std::string out;
  out.reserve(tmpl.size() + 64);
  std::size_t pos = 0;
  while (pos < tmpl.size()) {
    auto open = tmpl.find("${", pos);
    if (open == std::string::npos) {
      out.append(tmpl, pos, std::string::npos);
      break;
    }
    auto close = tmpl.find('}', open + 2);
    if (close == std::string::npos) throw InjectionError("unterminated ${ in template");
    out.append(tmpl, pos, open - pos);
    std::string name = tmpl.substr(open + 2, close - open - 2);
    if (name == "basic")
      out += base64(field(credentials, "username") + ":" + field(credentials, "password"));
    else
      out += field(credentials, name);
    pos = close + 1;
  }
  return out;
}

Injected inject_credentials(const plugins::Injection& rules, const boost::json::object& credentials) {
  Injected out;
  for (const auto& [name, tmpl] : rules.headers)
    out.headers.emplace_back(name, expand_template(tmpl, credentials));
  for (const auto& [name, tmpl] : rules.query)
    out.query.emplace_back(name, expand_template(tmpl, credentials));
  return out;
}

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace plugboard::execute

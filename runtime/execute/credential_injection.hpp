// Applies a manifest's `inject` templates to a connection's credentials, once per connection
// (not per request): "Bearer ${token}" -> "Bearer xoxb-...".
#pragma once

#include "plugins/manifest.hpp"

#include <boost/json.hpp>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace plugboard::execute {

struct InjectionError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Injected {
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::pair<std::string, std::string>> query;
};

// `${name}` is the credential field `name`; `${basic}` is base64(username ":" password).
// A field the credentials lack is an InjectionError naming it, never an empty value.
std::string expand_template(const std::string& tmpl, const boost::json::object& credentials);

Injected inject_credentials(const plugins::Injection& rules, const boost::json::object& credentials);

// Percent-encodes a query component (RFC 3986 unreserved characters pass through).
std::string url_encode(std::string_view s);

}  // namespace plugboard::execute

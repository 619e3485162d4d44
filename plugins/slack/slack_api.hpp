// Calling the Slack Web API through the host.
//
// Every Web API method answers with a JSON object carrying "ok"; a failure is
// {"ok":false,"error":"<slack_error>"}, usually with HTTP 200. These helpers perform one call
// and return the body when it says ok, and otherwise throw plugboard::ActionError:
//
//   PROVIDER_ERROR    "Slack API error: <error>", details {provider_error, status, retryable,
//                     method} (+ retry_after seconds on HTTP 429, + needed/provided on
//                     missing_scope, + messages when Slack explains invalid arguments)
//   INVALID_RESPONSE  the body was not a JSON object (an HTML error page from an edge, say)
//
// The host has already injected the token and retried 429/5xx within the deadline, so an
// error seen here is final for this call; `retryable` tells the caller whether a later
// attempt may succeed.
#pragma once

#include <plugboard/sdk.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace slack {

namespace json = boost::json;

// Query-string arguments for read methods, in order. Pairs with an empty value are skipped.
using Query = std::vector<std::pair<std::string, std::string>>;

// GET /<method>?<query>: for read methods (conversations.list, users.lookupByEmail, ...).
json::object get(const plugboard::Context& ctx, std::string_view method, const Query& query = {});

// POST /<method> with a JSON body: for write methods (chat.postMessage, conversations.create).
json::object post(const plugboard::Context& ctx, std::string_view method, const json::object& body);

// Checks one response from `method`: returns its body when ok, throws ActionError otherwise,
// and logs any warnings Slack attached.
json::object check(const plugboard::Context& ctx, std::string_view method,
                   const plugboard::HttpResponse& resp);

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view s);

}  // namespace slack

// Calling Microsoft Graph (v1.0) through the host.
//
// Graph answers a failure with an HTTP error status and
//   {"error": {"code": "NotFound", "message": "...", "innerError": {"request-id": "...", ...}}}
// check() turns that into plugboard::ActionError:
//
//   PROVIDER_ERROR    "Microsoft Graph error: <code>: <message>", details {status, provider_error
//                     (Graph's code), message, retryable} (+ retry_after seconds on 429/503 with
//                     Retry-After, + request_id from innerError)
//   INVALID_RESPONSE  a 2xx body that is not a JSON object
//
// The host has already injected the token, refreshed an expired OAuth2 token once (401) and
// retried 429/503/504 within the deadline, so an error seen here is final for this call.
#pragma once

#include <plugboard/sdk.hpp>

#include <string>
#include <string_view>

namespace teams {

namespace json = boost::json;

// GET <url> (relative to the base URL, e.g. "/me/joinedTeams").
json::object get(const plugboard::Context& ctx, const std::string& url);

// POST <url> with a JSON body.
json::object post(const plugboard::Context& ctx, const std::string& url, const json::value& body);

// Checks one Graph response: the body when 2xx, else throws ActionError (see above).
json::object check(const plugboard::HttpResponse& resp);

// Percent-encodes one path segment. RFC 3986 unreserved characters, ':' and '@' stay as they
// are, so channel IDs ("19:abc@thread.tacv2") read the way Graph writes them.
std::string path_segment(std::string_view s);

// Follows @odata.nextLink for a collection whose first page is `first_url` (or resumes at
// `next_link`), fetching at most `max_pages` pages. `resource` is the collection's path
// ("/me/joinedTeams"): a next_link for any other path is refused. Returns every item and the
// link to continue from ("" when the collection is complete).
struct Collection {
  json::array items;
  std::string next_link;
};
Collection list_pages(const plugboard::Context& ctx, const std::string& first_url,
                      const std::string& resource, const std::string& next_link, std::int64_t max_pages);

}  // namespace teams

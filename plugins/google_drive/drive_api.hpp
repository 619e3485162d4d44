// Calling the Google Drive API v3 through the host.
//
// Google answers a failure with an HTTP error status and a body like
//   {"error":{"code":404,"message":"File not found: abc.","status":"NOT_FOUND",
//             "errors":[{"domain":"global","reason":"notFound","message":"..."}]}}
// check() turns that into plugboard::ActionError:
//
//   PROVIDER_ERROR    "Google Drive API error: <status>: <message>", details {status (HTTP),
//                     provider_error (Google's status string, e.g. NOT_FOUND), message,
//                     retryable, reason? (errors[0].reason), retry_after? (seconds)}
//   INVALID_RESPONSE  a success answer whose body is not a JSON object
//
// The host has already injected the token, refreshed an expired OAuth token once, and retried
// 429/5xx within the deadline, so an error seen here is final for this call; `retryable` tells
// the caller whether a later attempt may succeed.
#pragma once

#include <plugboard/sdk.hpp>

#include <string>
#include <string_view>

namespace google_drive {

namespace json = boost::json;

// Fields asked of Drive for a file resource, so every answer carries what the outputs need.
inline constexpr std::string_view kFileFields = "id,name,mimeType,size,webViewLink,createdTime,modifiedTime";

// Checks one response to `what` (a short description, e.g. "files.create"): returns its body
// as an object when the status is 2xx, throws ActionError otherwise.
json::object check(std::string_view what, const plugboard::HttpResponse& resp);

// Throws the PROVIDER_ERROR for a non-2xx response (check() calls it).
[[noreturn]] void throw_provider_error(std::string_view what, const plugboard::HttpResponse& resp);

// GET url (relative to the base URL) and check().
json::object get(const plugboard::Context& ctx, std::string_view what, std::string url);

// POST url with a JSON body and check().
json::object post(const plugboard::Context& ctx, std::string_view what, std::string url,
                  const json::object& body);

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view s);

// Drive's link for a file or folder when the API gave none.
std::string file_view_url(std::string_view id);
std::string folder_view_url(std::string_view id);

// Drive reports sizes as decimal strings (int64 in JSON strings); -1 when absent or not a number.
std::int64_t size_field(const json::object& o, std::string_view name = "size");

// Now, UTC, RFC 3339 with seconds ("2024-01-15T10:30:00Z").
std::string utc_now();

}  // namespace google_drive

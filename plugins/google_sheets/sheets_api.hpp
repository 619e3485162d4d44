// Calling the Google Sheets v4 API through the host.
//
// Google answers a failure with an HTTP error status and a body such as
//   {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}
// These helpers perform one call and return the JSON body of a 2xx answer; anything else
// throws plugboard::ActionError:
//
//   PROVIDER_ERROR    "Google Sheets API error: <STATUS>: <message>", details {status (HTTP),
//                     provider_error (Google's status string, e.g. NOT_FOUND, PERMISSION_DENIED,
//                     or http_<n> when the body is not Google's error object), message,
//                     retryable, operation} (+ retry_after seconds when a 429 or 503 says so,
//                     + reason from Google's ErrorInfo detail when there is one)
//   INVALID_RESPONSE  a 2xx body that is not a JSON object
//
// The host has already injected the token, refreshed an expired OAuth token on 401 and retried
// 429/5xx within the deadline, so an error seen here is final for this call; `retryable`
// tells the caller whether a later attempt may succeed.
#pragma once

#include <plugboard/sdk.hpp>

#include <string>
#include <string_view>

namespace google_sheets {

namespace json = boost::json;

// GET <path> (relative to the base URL, https://sheets.googleapis.com/v4).
json::object get(const plugboard::Context& ctx, std::string_view operation, const std::string& path);

// POST <path> with a JSON body.
json::object post(const plugboard::Context& ctx, std::string_view operation, const std::string& path,
                  const json::object& body);

// Checks one response to `operation` (e.g. "values.append"): its body when 2xx, else throws.
json::object check(std::string_view operation, const plugboard::HttpResponse& resp);

// Percent-encodes everything but RFC 3986 unreserved characters (for path segments and query values).
std::string url_encode(std::string_view s);

// "/spreadsheets/<id>", the id percent-encoded.
std::string spreadsheet_path(std::string_view spreadsheet_id);

}  // namespace google_sheets

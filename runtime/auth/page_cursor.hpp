// Opaque cursors of logs read newest first (API.md: `?cursor=`, answered with `next_cursor`):
// base64url of "<created_at>|<tiebreak>" of the last item of a page, where tiebreak orders
// items of the same second (the audit log's seq, a delivery's id). Opaque so the position's
// form can change without breaking clients.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace plugboard::auth {

std::string encode_cursor(std::string_view created_at, std::string_view tiebreak);

// (created_at, tiebreak). Throws ServiceError validation_error on "cursor" for anything this
// server did not issue (not base64url, no separator, created_at not an ISO 8601 time).
std::pair<std::string, std::string> decode_cursor(std::string cursor);

}  // namespace plugboard::auth

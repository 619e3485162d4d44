// Opaque cursors for logs paged newest first (audit, executions): the last entry's position
// as "<time>|<tiebreak>", base64url without padding. Clients pass them back unchanged.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace plugboard::auth {

std::string encode_page_cursor(const std::string& time, const std::string& tiebreak);
// The (time, tiebreak) a cursor holds; nullopt for anything this server did not issue.
std::optional<std::pair<std::string, std::string>> decode_page_cursor(std::string cursor);

}  // namespace plugboard::auth

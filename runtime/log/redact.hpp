// Last line of defence for secrets in logs: every line passes through redact() before it is
// written. Call sites must still never log secrets; this catches the shapes a slip would take
// (an Authorization header, a token or password field, a Plugboard API key, a Slack token).
#pragma once

#include <string>
#include <string_view>

namespace plugboard::log {

inline constexpr std::string_view kRedacted = "[REDACTED]";

// `text` with secret-looking values replaced by [REDACTED]. Cheap when nothing matches: a
// quick scan for trigger words decides whether the patterns run at all.
std::string redact(std::string_view text);

}  // namespace plugboard::log

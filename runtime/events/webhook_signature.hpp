// The signature receivers check (docs/webhooks.md): X-Plugboard-Signature is
// "v1=" + lowercase hex HMAC-SHA256(secret, timestamp + "." + body), where timestamp is the
// X-Plugboard-Timestamp header (unix seconds). Signing the timestamp with the body lets a
// receiver refuse replays outside its window; the "v1=" prefix leaves room for a new scheme
// (and for sending two signatures during a change) without breaking receivers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace plugboard::events {

std::string webhook_signature(std::string_view secret, std::int64_t timestamp, std::string_view body);

}  // namespace plugboard::events

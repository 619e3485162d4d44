// How a log line is written: readable text, or one JSON object per line for log shippers.
// Both put the request id of the thread's current request on the line (see request_scope.hpp)
// and pass the message through redact().
#pragma once

#include <spdlog/formatter.h>

#include <memory>

namespace plugboard::log {

enum class Format { text, json };

// text: 2026-01-01T12:00:00.000Z info request_id=req_... message
// json: {"ts":"2026-01-01T12:00:00.000Z","level":"info","request_id":"req_...","msg":"message"}
//       (request_id only inside a request)
std::unique_ptr<spdlog::formatter> make_formatter(Format format);

}  // namespace plugboard::log

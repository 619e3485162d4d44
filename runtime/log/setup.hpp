// The process logger: stderr, the operator's level and format. Set up once by each command
// before anything logs; flushed by flush_logs() on the way out.
#pragma once

#include "log/line_formatter.hpp"

#include <string>

namespace plugboard::log {

// `level` is one of spdlog's names (checked by the config). Replaces the default logger.
void setup(const std::string& level, Format format = Format::text);
// Writes out whatever the logger still holds (stderr is unbuffered, but a sink may not be).
void flush_logs();

}  // namespace plugboard::log

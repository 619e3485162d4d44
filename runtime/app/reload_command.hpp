// `plugboard plugins reload`: asks the server running on this data directory to reload its
// plugins (SIGHUP to the pid in its pid file) and reports what the reload loaded and skipped.
#pragma once

#include "app/config.hpp"

#include <chrono>
#include <ostream>

namespace plugboard::app {

// Exit code 0 when the server reloaded and nothing was skipped, 1 when something was skipped,
// no server runs, or it did not answer within `wait`.
int plugins_reload(const Config& config, std::ostream& out, std::ostream& err,
                   std::chrono::milliseconds wait = std::chrono::seconds(30));

}  // namespace plugboard::app

// The child side of process isolation: what plugboard-plugin-host runs. It loads exactly one
// plugin with the same Loader (and so the same checks) as the runtime, then serves calls from
// the runtime over one socket. Each call runs on a worker thread, so several calls to one
// plugin run at once as they would in process; the plugin's host-service calls travel back to
// the runtime as requests and block until answered. The deadline travels with the call, so
// is_cancelled and remaining_ms are answered here without a round trip.
#pragma once

#include <filesystem>

namespace plugboard::isolation {

// Exit status when an allocation fails under the memory limit: the runtime reports it as
// the plugin running out of memory instead of as an ordinary exit.
inline constexpr int kOutOfMemoryExit = 86;
// Exit status when the plugin could not be loaded (the reason went to the runtime first).
inline constexpr int kLoadFailedExit = 87;

// Serves until the runtime closes the socket; returns the process exit status.
int serve_plugin(int fd, const std::filesystem::path& manifest_file);

}  // namespace plugboard::isolation

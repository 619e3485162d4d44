// The operator's settings for plugins run out of process (config `plugins.process`).
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>

namespace plugboard::isolation {

struct IsolationOptions {
  std::filesystem::path host_binary;   // empty: plugboard-plugin-host beside this executable
  std::size_t memory_limit_mb = 1024;  // the child's RLIMIT_AS; 0 for none
  std::chrono::milliseconds restart_backoff{500};
  std::chrono::milliseconds max_restart_backoff{30000};
  std::chrono::milliseconds healthy_after{60000};  // uptime after which the backoff starts over
  // How long past its deadline a call may run before its process is killed: room for a plugin
  // that checks is_cancelled to return on its own.
  std::chrono::milliseconds kill_grace{250};
  std::chrono::milliseconds start_timeout{10000};  // from fork to the plugin's hello
};

}  // namespace plugboard::isolation

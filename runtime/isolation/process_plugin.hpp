// The runtime side of process isolation. open_isolated() starts plugboard-plugin-host for one
// plugin and returns a LoadedPlugin whose function table forwards every call there, so the
// registry, execute and triggers use it exactly like a plugin loaded in process.
//
// One child per plugin, calls multiplexed on it by call id (the child runs each on its own
// thread). Host services the plugin calls during a call come back as requests and are answered
// on the thread that made the call, with the real host services of that call.
//
// When the child dies (a signal, an exit, a failed allocation under the memory limit) every
// call in flight on it fails with EXECUTION_FAILED naming the reason; a call still running past
// its deadline plus a grace gets the deadline error and its child is killed. The next call
// after the restart backoff starts a new child; calls before then fail fast.
#pragma once

#include "isolation/isolation_options.hpp"
#include "plugins/loader.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace plugboard::isolation {

// Throws plugins::LoadError when the child cannot start or refuses the plugin (its reason).
std::shared_ptr<const plugins::LoadedPlugin> open_isolated(plugins::Manifest manifest,
                                                           const pb_host_api* host,
                                                           const IsolationOptions& options);

// Plugin host processes started again after one died, by provider, since this process started.
std::map<std::string, std::uint64_t> restart_counts();

}  // namespace plugboard::isolation

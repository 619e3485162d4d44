// The catalog of loaded providers. Filled by the Loader at start-up (or on reload, as a
// whole new Registry) and frozen after: lookups need no locking and entries never move.
#pragma once

#include "plugins/manifest.hpp"

#include <plugboard/plugin.h>

#include <boost/dll/shared_library.hpp>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace plugboard::plugins {

// One provider whose library passed every check. Owns the open library: the plugin's code
// stays mapped as long as any holder of this object (a running execution) lives.
struct LoadedPlugin {
  Manifest manifest;
  boost::dll::shared_library library;
  const pb_plugin_api* api = nullptr;
  // The ABI 1.1 trigger hooks, copied at load only when the plugin's table is long enough to
  // hold them (an ABI 1.0 table ends before them); null otherwise.
  struct TriggerHooks {
    decltype(pb_plugin_api::poll) poll = nullptr;
    decltype(pb_plugin_api::handle_webhook) handle_webhook = nullptr;
    decltype(pb_plugin_api::subscribe) subscribe = nullptr;
    decltype(pb_plugin_api::unsubscribe) unsubscribe = nullptr;
  } hooks;
  // Serialises calls into plugins whose manifest says `reentrant: false`.
  std::unique_ptr<std::mutex> serial;
  // For a plugin run out of process (isolation: process), the proxy that owns its child
  // process; `api` then points at the proxy's forwarding table. Empty for in-process plugins.
  // Last, so it goes first: the child stops before the rest of this object.
  std::shared_ptr<void> remote;

  ~LoadedPlugin();
  const std::string& id() const { return manifest.id; }
};

// A plugin that was skipped, and why, for logs, `plugins list` and metrics.
struct LoadFailure {
  std::filesystem::path manifest_file;
  std::string provider;  // empty when the manifest could not be read
  std::string reason;
};

class Registry {
 public:
  Registry() = default;
  Registry(std::vector<std::shared_ptr<const LoadedPlugin>> plugins, std::vector<LoadFailure> failures);

  // nullptr when no provider has that id.
  std::shared_ptr<const LoadedPlugin> find(std::string_view provider) const;
  const std::vector<std::shared_ptr<const LoadedPlugin>>& plugins() const { return plugins_; }
  const std::vector<LoadFailure>& failures() const { return failures_; }

 private:
  std::vector<std::shared_ptr<const LoadedPlugin>> plugins_;  // sorted by id
  std::vector<LoadFailure> failures_;
};

}  // namespace plugboard::plugins

// Finds plugins in a directory and loads the ones that pass every check. The steps are
// separate so each can be read (and tested) on its own: parse the manifest, check what can be
// checked without running foreign code (ABI major, library present, pinned hash), open the
// library, call its entry, and cross-check what it registered against the manifest.
// A plugin that fails any step is skipped with a reason; the others still load.
#pragma once

#include "plugins/registry.hpp"

#include <filesystem>
#include <functional>
#include <set>
#include <stdexcept>

namespace plugboard::plugins {

// Why one plugin was refused. The message names the plugin and both sides of a mismatch.
struct LoadError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Loader {
 public:
  // `host` must outlive every plugin loaded with it.
  //
  // With a `copy_dir`, each library is copied there under a fresh name, opened from the copy,
  // and the copy is unlinked at once (the mapping stays). The dynamic loader would otherwise
  // hand back the already-open old library for the same path, so a reload would keep running
  // the old code; and a library overwritten in place can no longer change code that is running.
  // A library that finds sibling libraries through $ORIGIN must not be loaded this way.
  explicit Loader(const pb_host_api* host, std::filesystem::path copy_dir = {})
      : host_(host), copy_dir_(std::move(copy_dir)) {}

  // Plugins whose ids are in `ids` are opened by `open` instead (in a separate process: see
  // isolation/process_plugin.hpp), which throws LoadError like open() does.
  using IsolatedOpener = std::function<std::shared_ptr<const LoadedPlugin>(Manifest)>;
  void isolate(std::set<std::string> ids, IsolatedOpener open) {
    isolated_ = std::move(ids);
    open_isolated_ = std::move(open);
  }

  // Loads every *.yaml / *.yml manifest in `dir` (not recursive), sorted by file name so a
  // duplicate provider id is resolved the same way every time (the first file wins).
  Registry load_directory(const std::filesystem::path& dir) const;

  // Loads one plugin from its manifest. Throws ManifestError or LoadError.
  std::shared_ptr<const LoadedPlugin> load(const std::filesystem::path& manifest_file) const;
  // Opens the library of an already parsed manifest. Throws LoadError.
  std::shared_ptr<const LoadedPlugin> open(Manifest manifest) const;

 private:
  const pb_host_api* host_;
  std::filesystem::path copy_dir_;
  std::set<std::string> isolated_;
  IsolatedOpener open_isolated_;

  // Where to open `m`'s library from: the library itself, or a private copy (see above).
  std::filesystem::path private_copy(const Manifest& m) const;
};

// Checks that need no library code; throws LoadError.
void check_before_open(const Manifest& m);
// Checks the table an entry returned, and what describe() says, against the manifest.
void check_plugin_table(const Manifest& m, const pb_plugin_api* api);
// The trigger hooks of a table, when it is long enough to hold them (ABI 1.1 or later).
LoadedPlugin::TriggerHooks trigger_hooks(const pb_plugin_api* api);

}  // namespace plugboard::plugins

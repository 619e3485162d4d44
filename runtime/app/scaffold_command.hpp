// `plugboard plugins new NAME`: writes a plugin project that builds against the installed SDK
// with no edits: CMakeLists.txt (find_package(PlugboardSDK)), a manifest, one action that needs
// no network, and a ctest test that loads the built library through the C ABI and calls it.
#pragma once

#include <filesystem>
#include <map>
#include <ostream>
#include <string>

namespace plugboard::app {

struct ScaffoldOptions {
  std::string name;           // the provider id: [a-z][a-z0-9_]{0,63}
  std::filesystem::path dir;  // where the project goes; created if missing
  bool force = false;         // write into a non-empty dir, overwriting the scaffold's files
};

// The project's files, relative path -> content, for `name` (assumed valid).
std::map<std::string, std::string> scaffold_files(const std::string& name);

// Exit code 0 when written, 2 for a bad name, 1 when the directory is not empty (without
// --force) or cannot be written.
int plugins_new(const ScaffoldOptions& options, std::ostream& out, std::ostream& err);

}  // namespace plugboard::app

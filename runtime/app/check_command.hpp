// `plugboard plugins check PATH...`: the conformance check a plugin author (or CI) runs before
// shipping. Each manifest gets one line per check (PASS, FAIL or WARN, naming the file and
// field), then a summary. Nothing is invoked: actions are dry-run through the validator only.
#pragma once

#include <filesystem>
#include <ostream>
#include <vector>

namespace plugboard::app {

struct CheckOptions {
  std::vector<std::filesystem::path> paths;  // manifests, or directories of them
  bool json = false;                         // one JSON document instead of text lines
};

// Exit code 0 when nothing failed (warnings allowed), 1 when a check failed, 2 when a path does
// not exist or no manifest was found.
int plugins_check(const CheckOptions& options, std::ostream& out, std::ostream& err);

}  // namespace plugboard::app

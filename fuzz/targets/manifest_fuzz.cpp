// Manifest parsing and validation (yaml-cpp, then our checks and schema compilation) with any
// bytes. A manifest comes from a plugin author: it must be refused with a ManifestError, never
// crash the loader. Anything else thrown is also a bug, and aborts.
#include "plugins/manifest.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)plugboard::plugins::parse_manifest_text(text, "/nonexistent/fuzz/manifest.yaml");
  } catch (const plugboard::plugins::ManifestError&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parse_manifest_text threw something other than ManifestError: %s\n", e.what());
    std::abort();
  }
  return 0;
}

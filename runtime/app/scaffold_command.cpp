#include "app/scaffold_command.hpp"

#include <fstream>
#include <regex>

namespace plugboard::app {

int plugins_new(const ScaffoldOptions& options, std::ostream& out, std::ostream& err) {
  namespace fs = std::filesystem;
  // The manifest's id rule: the name becomes the provider id and the library's file name.
  static const std::regex id("^[a-z][a-z0-9_]{0,63}$");
  if (!std::regex_match(options.name, id)) {
    err << "plugins new: invalid NAME '" << options.name.substr(0, 64)
        << "': use a lower-case letter, then lower-case letters, digits or '_' (at most 64), e.g. acme_crm\n";
    return 2;
  }
  std::error_code ec;
  if (fs::exists(options.dir, ec) && !fs::is_directory(options.dir, ec)) {
    err << "plugins new: " << options.dir.string() << " exists and is not a directory\n";
    return 1;
  }
  if (fs::is_directory(options.dir, ec) && !fs::is_empty(options.dir, ec) && !options.force) {
    err << "plugins new: " << options.dir.string()
        << " exists and is not empty; choose another --dir, or --force to overwrite the scaffold's files\n";
    return 1;
  }
  for (const auto& [rel, text] : scaffold_files(options.name)) {
    const fs::path file = options.dir / rel;
    fs::create_directories(file.parent_path(), ec);
    std::ofstream f(file, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f.flush()) {
      err << "plugins new: cannot write " << file.string() << "\n";
      return 1;
    }
  }
  out << "created plugin project " << options.name << " in " << options.dir.string() << "\n"
      << "next:\n"
      << "  cmake -S " << options.dir.string() << " -B " << (options.dir / "build").string()
      << " -DCMAKE_PREFIX_PATH=<Plugboard SDK prefix>\n"
      << "  cmake --build " << (options.dir / "build").string() << " && ctest --test-dir "
      << (options.dir / "build").string() << "\n"
      << "  plugboard plugins check " << (options.dir / "build" / "plugins").string() << "\n";
  return 0;
}

}  // namespace plugboard::app

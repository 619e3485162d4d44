#include "app/server_files.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace plugboard::app {
namespace {

void replace_file(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::create_directories(file.parent_path());
  const auto tmp = file.string() + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, file);
}

std::optional<std::string> read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::filesystem::path pid_file(const std::filesystem::path& data_dir) { return data_dir / "plugboard.pid"; }

std::filesystem::path plugin_status_file(const std::filesystem::path& data_dir) {
  return data_dir / "plugins-status.json";
}

void write_pid_file(const std::filesystem::path& data_dir) {
  replace_file(pid_file(data_dir), std::to_string(::getpid()) + "\n");
}

void remove_pid_file(const std::filesystem::path& data_dir) {
  // Only our own: a second server started on the same directory may have replaced it.
  if (read_pid_file(data_dir) == ::getpid()) {
    std::error_code ec;
    std::filesystem::remove(pid_file(data_dir), ec);
  }
}

std::optional<pid_t> read_pid_file(const std::filesystem::path& data_dir) {
  auto text = read_text(pid_file(data_dir));
  if (!text) return std::nullopt;
  try {
    std::size_t used = 0;
    const long pid = std::stol(*text, &used);
    if (pid <= 0) return std::nullopt;
    return static_cast<pid_t>(pid);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void write_plugin_status(const std::filesystem::path& data_dir, std::uint64_t generation,
                         const plugins::Registry& registry) {
  boost::json::array loaded, skipped;
  for (const auto& p : registry.plugins())
    loaded.push_back({{"id", p->id()},
                      {"version", p->manifest.version},
                      {"actions", p->manifest.actions.size()},
                      {"manifest", p->manifest.file.filename().string()}});
  for (const auto& f : registry.failures())
    skipped.push_back({{"manifest", f.manifest_file.filename().string()}, {"reason", f.reason}});
  replace_file(plugin_status_file(data_dir),
               boost::json::serialize(boost::json::object{{"pid", ::getpid()},
                                                          {"generation", generation},
                                                          {"loaded", std::move(loaded)},
                                                          {"skipped", std::move(skipped)}}) +
                   "\n");
}

std::optional<boost::json::object> read_plugin_status(const std::filesystem::path& data_dir) {
  auto text = read_text(plugin_status_file(data_dir));
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  auto v = boost::json::parse(*text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return v.as_object();
}

}  // namespace plugboard::app

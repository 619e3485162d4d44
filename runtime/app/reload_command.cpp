#include "app/reload_command.hpp"

#include "app/server_files.hpp"

#include <cerrno>
#include <csignal>
#include <thread>

#include <signal.h>
#include <unistd.h>

namespace plugboard::app {
namespace {

std::int64_t number(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_int64()
             ? v->as_int64()
             : (v != nullptr && v->is_uint64() ? static_cast<std::int64_t>(v->as_uint64()) : -1);
}

std::string text(const boost::json::value& v, const char* key) {
  const auto* s = v.as_object().if_contains(key);
  if (s == nullptr) return {};
  if (s->is_string()) return std::string(s->get_string());
  return boost::json::serialize(*s);
}

}  // namespace

int plugins_reload(const Config& config, std::ostream& out, std::ostream& err,
                   std::chrono::milliseconds wait) {
  const auto pid = read_pid_file(config.data_dir);
  if (!pid) {
    err << "plugboard: no running server found: " << pid_file(config.data_dir).string()
        << " does not exist (is `plugboard serve` running with this data directory?)\n";
    return 1;
  }
  // The generation the server has written so far; the reload is done when a later one appears.
  std::int64_t before = 0;
  if (auto s = read_plugin_status(config.data_dir); s && number(*s, "pid") == *pid)
    before = number(*s, "generation");
  if (::kill(*pid, SIGHUP) != 0) {
    err << "plugboard: cannot signal the server (pid " << *pid << " from "
        << pid_file(config.data_dir).string()
        << "): " << (errno == ESRCH ? "no such process; the pid file is stale" : std::strerror(errno))
        << "\n";
    return 1;
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    auto s = read_plugin_status(config.data_dir);
    if (s && number(*s, "pid") == *pid && number(*s, "generation") > before) {
      out << "reloaded plugins in server pid " << *pid << " from " << config.plugins_dir.string() << "\n";
      const auto& skipped = (*s)["skipped"].as_array();
      for (const auto& p : (*s)["loaded"].as_array())
        out << "  loaded   " << text(p, "id") << " " << text(p, "version") << " (" << text(p, "actions")
            << " actions) from " << text(p, "manifest") << "\n";
      for (const auto& f : skipped)
        out << "  skipped  " << text(f, "manifest") << ": " << text(f, "reason") << "\n";
      return skipped.empty() ? 0 : 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  err << "plugboard: sent SIGHUP to pid " << *pid << " but it did not report a reload within "
      << std::chrono::duration_cast<std::chrono::seconds>(wait).count() << " s; see the server log\n";
  return 1;
}

}  // namespace plugboard::app

#include "app/cli.hpp"

#include "app/check_command.hpp"
#include "app/config.hpp"
#include "app/reload_command.hpp"
#include "app/rotate_command.hpp"
#include "app/runtime.hpp"
#include "app/scaffold_command.hpp"
#include "execute/call.hpp"
#include "log/setup.hpp"
#include "plugins/loader.hpp"

#include <spdlog/spdlog.h>

#include <pthread.h>
#include <csignal>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace plugboard::app {
namespace {

constexpr const char* kUsage = R"(usage: plugboard <command> [options]

commands:
  serve [--config FILE] [--host H] [--port N]
      Run the server. --port 0 picks a free port; the URL is printed on stdout.
  keys create [--config FILE] --workspace W [--project P] --name N [--operations read,write,execute,admin] [--json]
      Create an API key (the workspace and project are created when they do not exist) and
      print only the key (or, with --json, the key with its workspace and project ids).
  plugins list [--config FILE]
      Load the plugins directory and list what loaded and what was skipped, and why.
  plugins reload [--config FILE]
      Make the server running on this data directory reload its plugins (SIGHUP to the pid in
      <data_dir>/plugboard.pid) and print what loaded and what was skipped. Requests in flight
      finish on the plugins they started with.
  plugins check [--json] PATH...
      Conformance check of manifests (or every manifest in directories) and their libraries,
      without starting the server: manifest schema, ABI, library and manifest agreement,
      describe(), and a dry run of each action's parameter validation with generated samples.
      One PASS/FAIL/WARN line per check, then a summary. Exit 0 all pass (warnings allowed),
      1 a check failed, 2 usage error. See docs/plugin-authors.md.
  plugins new NAME [--dir DIR] [--force]
      Scaffold a plugin project (CMake with find_package(PlugboardSDK), manifest, one action, a
      test) in DIR (default ./NAME). Refuses a non-empty DIR unless --force.
  vault status [--config FILE] [--json]
      Print the current master key id, the retired key ids, and how many stored secrets are
      sealed with each key (ids and counts only, never keys).
  vault rotate [--config FILE] [--new-key-file PATH] [--force-skip-unreadable]
      Stop the server first. Re-seal every stored secret under a new master key (generated, or
      read from PATH or PLUGBOARD_NEW_MASTER_KEY), install it as the key file and keep the old
      key beside it as <key file>.retired-<id>, which every later start reads. Refuses, and
      changes nothing, when a value cannot be opened, unless --force-skip-unreadable.
  version

Most settings can also come from PLUGBOARD_* environment variables: see docs/operations.md.
)";

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // --name value, or --flag -> ""
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) == 0) {
      std::string name = s.substr(2);
      if (auto eq = name.find('='); eq != std::string::npos) {
        a.options[name.substr(0, eq)] = name.substr(eq + 1);
      } else if (name == "json" || name == "help" || name == "force-skip-unreadable" || name == "force") {
        a.options[name] = "";
      } else {
        if (i + 1 >= argc) throw std::invalid_argument("option --" + name + " needs a value");
        a.options[name] = argv[++i];
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

std::optional<std::string> opt(const Args& a, const std::string& name) {
  auto it = a.options.find(name);
  if (it == a.options.end()) return std::nullopt;
  return it->second;
}

Config config_from(const Args& a) {
  std::optional<std::filesystem::path> file;
  if (auto f = opt(a, "config")) file = *f;
  Config c = load_config(file);
  if (auto h = opt(a, "host")) c.server.host = *h;
  if (auto p = opt(a, "port")) {
    int port = std::stoi(*p);
    if (port < 0 || port > 65535) throw std::invalid_argument("--port must be from 0 to 65535");
    c.server.port = static_cast<std::uint16_t>(port);
  }
  return c;
}

void setup_logging(const std::string& level, const std::string& format = "text") {
  log::setup(level, format == "json" ? log::Format::json : log::Format::text);
}

int serve(const Args& a) {
  Config c = config_from(a);
  setup_logging(c.log_level, c.log_format);
  // Signals are taken by this thread with sigwait; every thread started after inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Runtime rt(c);
  rt.load_plugins();
  auto port = rt.serve();
  std::cout << "plugboard listening on " << c.server.scheme() << "://" << c.server.host << ":" << port
            << std::endl;
  spdlog::info("listening on {}://{}:{}", c.server.scheme(), c.server.host, port);
  for (;;) {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: reloading plugins and the TLS certificate");
      rt.load_plugins();
      rt.reload_tls();
      continue;
    }
    spdlog::info("signal {}: stopping; in-flight requests finish first", sig);
    break;
  }
  rt.stop();
  spdlog::info("stopped");
  log::flush_logs();
  return 0;
}

std::vector<std::string> split_csv(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    auto comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    if (comma > pos) out.push_back(s.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return out;
}

int keys_create(const Args& a) {
  auto workspace = opt(a, "workspace");
  auto name = opt(a, "name");
  if (!workspace || !name) {
    std::cerr << "keys create needs --workspace and --name\n";
    return 2;
  }
  Config c = config_from(a);
  setup_logging("warn");
  Runtime rt(c);
  auto ws = rt.tenancy().ensure_workspace(*workspace);
  std::string project_id;
  if (auto p = opt(a, "project")) project_id = rt.tenancy().ensure_project(ws.id, *p).id;
  auto ops = split_csv(opt(a, "operations").value_or("read,write,execute,admin"));
  auto key = rt.keys().create(ws.id, *name, ops, {}, {}, std::nullopt, std::nullopt);
  if (opt(a, "json")) {
    std::cout << boost::json::serialize(boost::json::object{{"key", key.key},
                                                            {"id", key.record.id},
                                                            {"workspace_id", ws.id},
                                                            {"project_id", project_id}})
              << std::endl;
  } else {
    std::cout << key.key << std::endl;
  }
  return 0;
}

int plugins_list(const Args& a) {
  Config c = config_from(a);
  setup_logging("off");
  plugins::Loader loader(execute::host_api());
  auto registry = loader.load_directory(c.plugins_dir);
  std::cout << "plugins directory: " << c.plugins_dir.string() << "\n";
  for (const auto& p : registry.plugins())
    std::cout << "  loaded   " << p->id() << " " << p->manifest.version << " (" << p->manifest.actions.size()
              << " actions) from " << p->manifest.file.filename().string() << "\n";
  for (const auto& f : registry.failures())
    std::cout << "  skipped  " << f.manifest_file.filename().string() << ": " << f.reason << "\n";
  return registry.failures().empty() ? 0 : 1;
}

std::vector<std::filesystem::path> paths_after(const Args& a, std::size_t first) {
  std::vector<std::filesystem::path> out;
  for (std::size_t i = first; i < a.positional.size(); ++i) out.emplace_back(a.positional[i]);
  return out;
}

int plugins_new_cli(const Args& a) {
  if (a.positional.size() != 3) {
    std::cerr << "plugins new needs exactly one NAME\n";
    return 2;
  }
  ScaffoldOptions o;
  o.name = a.positional[2];
  o.dir = opt(a, "dir").value_or(o.name);
  o.force = opt(a, "force").has_value();
  return plugins_new(o, std::cout, std::cerr);
}

}  // namespace

int run_cli(int argc, char** argv) {
  try {
    Args a = parse(argc, argv);
    const auto& p = a.positional;
    if (p.empty() || opt(a, "help")) {
      std::cout << kUsage;
      return p.empty() && !opt(a, "help") ? 2 : 0;
    }
    if (p[0] == "serve") return serve(a);
    if (p[0] == "keys" && p.size() > 1 && p[1] == "create") return keys_create(a);
    if (p[0] == "plugins" && p.size() > 1 && p[1] == "list") return plugins_list(a);
    if (p[0] == "plugins" && p.size() > 1 && p[1] == "check")
      return plugins_check({paths_after(a, 2), opt(a, "json").has_value()}, std::cout, std::cerr);
    if (p[0] == "plugins" && p.size() > 1 && p[1] == "new") return plugins_new_cli(a);
    if (p[0] == "plugins" && p.size() > 1 && p[1] == "reload")
      return plugins_reload(config_from(a), std::cout, std::cerr);
    if (p[0] == "vault" && p.size() > 1 && p[1] == "rotate") {
      RotateOptions o;
      if (auto f = opt(a, "new-key-file")) o.new_key_file = *f;
      o.force_skip_unreadable = opt(a, "force-skip-unreadable").has_value();
      return vault_rotate(config_from(a), o, std::cout, std::cerr);
    }
    if (p[0] == "vault" && p.size() > 1 && p[1] == "status")
      return vault_status(config_from(a), opt(a, "json").has_value(), std::cout, std::cerr);
    if (p[0] == "version") {
      std::cout << "plugboard " << PLUGBOARD_VERSION << " (plugin ABI " << PLUGBOARD_ABI_MAJOR << "."
                << PLUGBOARD_ABI_MINOR << ")\n";
      return 0;
    }
    std::cerr << "unknown command\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "plugboard: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace plugboard::app

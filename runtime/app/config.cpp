#include "app/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>

#include <unistd.h>  // environ

namespace plugboard::app {
namespace {

[[noreturn]] void fail(const std::string& where, const YAML::Node& n, const std::string& key,
                       const std::string& msg) {
  throw ConfigError(where + ":" + std::to_string(n.Mark().line + 1) + ": " + key + ": " + msg);
}

template <class T>
T scalar(const std::string& where, const YAML::Node& n, const std::string& key) {
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    fail(where, n, key, "has the wrong type");
  }
}

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
  std::filesystem::path path(p);
  return path.is_absolute() || base.empty() ? path : base / path;
}

void check_keys(const std::string& where, const YAML::Node& map, const std::string& prefix,
                std::initializer_list<const char*> known) {
  if (!map.IsMap()) fail(where, map, prefix, "must be a mapping");
  for (const auto& kv : map) {
    const auto& k = kv.first.Scalar();
    if (std::none_of(known.begin(), known.end(), [&](const char* x) { return k == x; }))
      fail(where, kv.first, prefix.empty() ? k : std::string(prefix).append(".").append(k),
           "unknown setting");
  }
}

// How each plugin is isolated ("process" or "in_process"); false for anything else.
bool set_isolation(Config& c, const std::string& id, const std::string& mode) {
  if (mode == "process")
    c.isolated_plugins.insert(id);
  else if (mode == "in_process")
    c.isolated_plugins.erase(id);
  else
    return false;
  return true;
}

void read_isolation(const std::string& where, const std::filesystem::path& base, const YAML::Node& p,
                    Config& c) {
  if (auto iso = p["isolation"]) {
    if (!iso.IsMap())
      fail(where, iso, "plugins.isolation", "must be a mapping of provider id to process or in_process");
    for (const auto& kv : iso) {
      const std::string id = kv.first.Scalar(), key = "plugins.isolation." + id;
      if (!set_isolation(c, id, scalar<std::string>(where, kv.second, key)))
        fail(where, kv.second, key, "must be process or in_process");
    }
  }
  auto pr = p["process"];
  if (!pr) return;
  check_keys(where, pr, "plugins.process",
             {"memory_limit_mb", "restart_backoff_ms", "max_restart_backoff_ms", "healthy_after_s",
              "kill_grace_ms", "host_binary"});
  auto& o = c.isolation;
  auto millis = [&](const char* k) {
    return std::chrono::milliseconds(scalar<std::int64_t>(where, pr[k], std::string("plugins.process.") + k));
  };
  if (pr["memory_limit_mb"])
    o.memory_limit_mb = scalar<std::size_t>(where, pr["memory_limit_mb"], "plugins.process.memory_limit_mb");
  if (pr["restart_backoff_ms"]) o.restart_backoff = millis("restart_backoff_ms");
  if (pr["max_restart_backoff_ms"]) o.max_restart_backoff = millis("max_restart_backoff_ms");
  if (pr["kill_grace_ms"]) o.kill_grace = millis("kill_grace_ms");
  if (pr["healthy_after_s"])
    o.healthy_after = std::chrono::seconds(
        scalar<std::int64_t>(where, pr["healthy_after_s"], "plugins.process.healthy_after_s"));
  if (pr["host_binary"])
    o.host_binary =
        resolve(base, scalar<std::string>(where, pr["host_binary"], "plugins.process.host_binary"));
}

void read_file(Config& c, const std::filesystem::path& file) {
  const std::string where = file.string();
  YAML::Node root;
  try {
    root = YAML::LoadFile(file.string());
  } catch (const YAML::BadFile&) {
    throw ConfigError(where + ": cannot be read");
  } catch (const YAML::Exception& e) {
    throw ConfigError(where + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (root.IsNull()) return;
  const auto base = file.parent_path();
  check_keys(where, root, "",
             {"server", "data_dir", "database", "plugins", "vault", "providers", "execute", "outbound", "log",
              "webhooks", "triggers", "automations", "retention", "executions", "cluster"});
  if (auto s = root["server"]) {
    check_keys(where, s, "server",
               {"host", "port", "threads", "max_queued", "keep_alive_timeout_s", "io_timeout_s",
                "request_timeout_s", "max_body_bytes", "public_url", "tls"});
    if (s["public_url"]) c.public_url = scalar<std::string>(where, s["public_url"], "server.public_url");
    if (s["host"]) c.server.host = scalar<std::string>(where, s["host"], "server.host");
    if (s["port"]) c.server.port = scalar<std::uint16_t>(where, s["port"], "server.port");
    if (s["threads"]) c.server.threads = scalar<int>(where, s["threads"], "server.threads");
    if (s["max_queued"]) c.server.max_queued = scalar<int>(where, s["max_queued"], "server.max_queued");
    if (s["keep_alive_timeout_s"])
      c.server.keep_alive_timeout_s =
          scalar<int>(where, s["keep_alive_timeout_s"], "server.keep_alive_timeout_s");
    if (s["io_timeout_s"])
      c.server.io_timeout_s = scalar<int>(where, s["io_timeout_s"], "server.io_timeout_s");
    if (s["request_timeout_s"])
      c.server.request_timeout_s = scalar<int>(where, s["request_timeout_s"], "server.request_timeout_s");
    if (s["max_body_bytes"])
      c.server.max_body_bytes = scalar<std::size_t>(where, s["max_body_bytes"], "server.max_body_bytes");
    if (auto t = s["tls"]) {
      check_keys(where, t, "server.tls", {"cert_file", "key_file"});
      if (t["cert_file"])
        c.server.tls_cert_file =
            resolve(base, scalar<std::string>(where, t["cert_file"], "server.tls.cert_file")).string();
      if (t["key_file"])
        c.server.tls_key_file =
            resolve(base, scalar<std::string>(where, t["key_file"], "server.tls.key_file")).string();
    }
  }
  if (auto d = root["data_dir"]) c.data_dir = resolve(base, scalar<std::string>(where, d, "data_dir"));
  if (auto d = root["database"]) {
    check_keys(where, d, "database", {"url", "pool_size"});
    if (d["url"]) c.database_url = scalar<std::string>(where, d["url"], "database.url");
    if (d["pool_size"]) c.database_pool_size = scalar<int>(where, d["pool_size"], "database.pool_size");
  }
  if (auto p = root["plugins"]) {
    check_keys(where, p, "plugins", {"dir", "isolation", "process"});
    if (p["dir"]) c.plugins_dir = resolve(base, scalar<std::string>(where, p["dir"], "plugins.dir"));
    read_isolation(where, base, p, c);
  }
  if (auto v = root["vault"]) {
    check_keys(where, v, "vault", {"key_file", "retired_key_files"});
    if (v["key_file"])
      c.master_key_file = resolve(base, scalar<std::string>(where, v["key_file"], "vault.key_file"));
    if (auto r = v["retired_key_files"]) {
      if (!r.IsSequence()) fail(where, r, "vault.retired_key_files", "must be a list of file paths");
      for (const auto& f : r)
        c.retired_key_files.push_back(
            resolve(base, scalar<std::string>(where, f, "vault.retired_key_files")));
    }
  }
  if (auto p = root["providers"]) {
    if (!p.IsMap()) fail(where, p, "providers", "must be a mapping of provider id to settings");
    for (const auto& kv : p) {
      const std::string id = kv.first.Scalar();
      check_keys(where, kv.second, "providers." + id, {"base_url"});
      if (kv.second["base_url"])
        c.provider_base_urls[id] =
            scalar<std::string>(where, kv.second["base_url"], "providers." + id + ".base_url");
    }
  }
  if (auto e = root["execute"]) {
    check_keys(where, e, "execute", {"deadline_ms"});
    if (e["deadline_ms"])
      c.deadline =
          std::chrono::milliseconds(scalar<std::int64_t>(where, e["deadline_ms"], "execute.deadline_ms"));
  }
  if (auto o = root["outbound"]) {
    check_keys(where, o, "outbound", {"ca_file"});
    if (o["ca_file"])
      c.outbound_ca_file = resolve(base, scalar<std::string>(where, o["ca_file"], "outbound.ca_file"));
  }
  if (auto w = root["webhooks"]) {
    check_keys(where, w, "webhooks",
               {"workers", "disable_after_failures", "timeout_ms", "response_body_max", "egress"});
    auto& o = c.webhooks;
    if (w["workers"]) o.workers = scalar<int>(where, w["workers"], "webhooks.workers");
    if (w["disable_after_failures"])
      o.disable_after_failures =
          scalar<std::int64_t>(where, w["disable_after_failures"], "webhooks.disable_after_failures");
    if (w["timeout_ms"])
      o.timeout =
          std::chrono::milliseconds(scalar<std::int64_t>(where, w["timeout_ms"], "webhooks.timeout_ms"));
    if (w["response_body_max"])
      o.response_body_max = scalar<std::size_t>(where, w["response_body_max"], "webhooks.response_body_max");
    if (auto e = w["egress"]) {
      check_keys(where, e, "webhooks.egress", {"allow_loopback", "allow_private"});
      if (e["allow_loopback"])
        o.egress.allow_loopback = scalar<bool>(where, e["allow_loopback"], "webhooks.egress.allow_loopback");
      if (e["allow_private"])
        o.egress.allow_private = scalar<bool>(where, e["allow_private"], "webhooks.egress.allow_private");
    }
  }
  if (auto x = root["executions"]) {
    check_keys(where, x, "executions", {"retention_days", "max_payload_bytes", "prune_interval_s"});
    auto& o = c.executions;
    if (x["retention_days"])
      o.retention_days = scalar<int>(where, x["retention_days"], "executions.retention_days");
    if (x["max_payload_bytes"])
      o.max_payload_bytes =
          scalar<std::size_t>(where, x["max_payload_bytes"], "executions.max_payload_bytes");
    if (x["prune_interval_s"])
      o.prune_interval = std::chrono::seconds(
          scalar<std::int64_t>(where, x["prune_interval_s"], "executions.prune_interval_s"));
  }
  if (auto t = root["triggers"]) {
    check_keys(where, t, "triggers", {"workers", "min_interval_seconds"});
    if (t["workers"]) c.triggers.workers = scalar<int>(where, t["workers"], "triggers.workers");
    if (t["min_interval_seconds"])
      c.triggers.min_interval_seconds =
          scalar<std::int64_t>(where, t["min_interval_seconds"], "triggers.min_interval_seconds");
  }
  if (auto a = root["automations"]) {
    check_keys(where, a, "automations", {"workers", "max_attempts", "retry_delay_seconds"});
    auto& o = c.automations;
    if (a["workers"]) o.workers = scalar<int>(where, a["workers"], "automations.workers");
    if (a["max_attempts"]) o.max_attempts = scalar<int>(where, a["max_attempts"], "automations.max_attempts");
    if (a["retry_delay_seconds"])
      o.retry_delay = std::chrono::seconds(
          scalar<std::int64_t>(where, a["retry_delay_seconds"], "automations.retry_delay_seconds"));
  }
  if (auto r = root["retention"]) {
    check_keys(where, r, "retention", {"events_days", "deliveries_days", "interval_seconds"});
    auto& o = c.retention;
    if (r["events_days"])
      o.events_days = scalar<std::int64_t>(where, r["events_days"], "retention.events_days");
    if (r["deliveries_days"])
      o.deliveries_days = scalar<std::int64_t>(where, r["deliveries_days"], "retention.deliveries_days");
    if (r["interval_seconds"])
      o.interval = std::chrono::seconds(
          scalar<std::int64_t>(where, r["interval_seconds"], "retention.interval_seconds"));
  }
  if (auto k = root["cluster"]) {
    check_keys(where, k, "cluster", {"shared_rate_limits", "change_poll_ms"});
    if (k["shared_rate_limits"])
      c.cluster.shared_rate_limits =
          scalar<bool>(where, k["shared_rate_limits"], "cluster.shared_rate_limits");
    if (k["change_poll_ms"])
      c.cluster.change_poll = std::chrono::milliseconds(
          scalar<std::int64_t>(where, k["change_poll_ms"], "cluster.change_poll_ms"));
  }
  if (auto l = root["log"]) {
    check_keys(where, l, "log", {"level", "format"});
    if (l["level"]) c.log_level = scalar<std::string>(where, l["level"], "log.level");
    if (l["format"]) c.log_format = scalar<std::string>(where, l["format"], "log.format");
  }
}

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

template <class T>
T env_number(const char* name, const std::string& v) {
  try {
    std::size_t used = 0;
    long long n = std::stoll(v, &used);
    if (used != v.size() || n < 0) throw std::invalid_argument(v);
    return static_cast<T>(n);
  } catch (const std::exception&) {
    throw ConfigError(std::string(name) + " must be a non-negative integer");
  }
}

bool env_bool(const char* name, const std::string& v) {
  if (v == "1" || v == "true" || v == "yes") return true;
  if (v == "0" || v == "false" || v == "no") return false;
  throw ConfigError(std::string(name) + " must be true or false (or 1 or 0)");
}

// PLUGBOARD_PLUGINS_ISOLATION="slack=process,echo=in_process" and the plugins.process limits.
void read_isolation_env(Config& c) {
  if (auto v = env("PLUGBOARD_PLUGINS_ISOLATION")) {
    std::string list = *v + ",";
    for (std::size_t start = 0, comma; (comma = list.find(',', start)) != std::string::npos;
         start = comma + 1) {
      const std::string item = list.substr(start, comma - start);
      const auto eq = item.find('=');
      if (item.empty()) continue;
      if (eq == std::string::npos || !set_isolation(c, item.substr(0, eq), item.substr(eq + 1)))
        throw ConfigError(
            "PLUGBOARD_PLUGINS_ISOLATION must list provider=process or provider=in_process, "
            "separated by commas; got '" +
            item + "'");
    }
  }
  auto& o = c.isolation;
  if (auto v = env("PLUGBOARD_PLUGINS_MEMORY_LIMIT_MB"))
    o.memory_limit_mb = env_number<std::size_t>("PLUGBOARD_PLUGINS_MEMORY_LIMIT_MB", *v);
  if (auto v = env("PLUGBOARD_PLUGINS_RESTART_BACKOFF_MS"))
    o.restart_backoff =
        std::chrono::milliseconds(env_number<std::int64_t>("PLUGBOARD_PLUGINS_RESTART_BACKOFF_MS", *v));
  if (auto v = env("PLUGBOARD_PLUGINS_MAX_RESTART_BACKOFF_MS"))
    o.max_restart_backoff =
        std::chrono::milliseconds(env_number<std::int64_t>("PLUGBOARD_PLUGINS_MAX_RESTART_BACKOFF_MS", *v));
  if (auto v = env("PLUGBOARD_PLUGIN_HOST")) o.host_binary = *v;
}

void read_env(Config& c) {
  if (auto v = env("PLUGBOARD_HOST")) c.server.host = *v;
  if (auto v = env("PLUGBOARD_PORT")) {
    auto port = env_number<std::int64_t>("PLUGBOARD_PORT", *v);
    if (port > 65535) throw ConfigError("PLUGBOARD_PORT must be from 0 to 65535");
    c.server.port = static_cast<std::uint16_t>(port);
  }
  if (auto v = env("PLUGBOARD_THREADS")) c.server.threads = env_number<int>("PLUGBOARD_THREADS", *v);
  if (auto v = env("PLUGBOARD_MAX_BODY_BYTES"))
    c.server.max_body_bytes = env_number<std::size_t>("PLUGBOARD_MAX_BODY_BYTES", *v);
  if (auto v = env("PLUGBOARD_DATA_DIR")) c.data_dir = *v;
  if (auto v = env("PLUGBOARD_DATABASE_URL")) c.database_url = *v;
  if (auto v = env("PLUGBOARD_DATABASE_POOL_SIZE"))
    c.database_pool_size = env_number<int>("PLUGBOARD_DATABASE_POOL_SIZE", *v);
  if (auto v = env("PLUGBOARD_PLUGINS_DIR")) c.plugins_dir = *v;
  if (auto v = env("PLUGBOARD_MASTER_KEY_FILE")) c.master_key_file = *v;
  read_isolation_env(c);
  if (auto v = env("PLUGBOARD_DEADLINE_MS"))
    c.deadline = std::chrono::milliseconds(env_number<std::int64_t>("PLUGBOARD_DEADLINE_MS", *v));
  if (auto v = env("PLUGBOARD_LOG_LEVEL")) c.log_level = *v;
  if (auto v = env("PLUGBOARD_LOG_FORMAT")) c.log_format = *v;
  if (auto v = env("PLUGBOARD_TLS_CERT_FILE")) c.server.tls_cert_file = *v;
  if (auto v = env("PLUGBOARD_TLS_KEY_FILE")) c.server.tls_key_file = *v;
  if (auto v = env("PLUGBOARD_PUBLIC_URL")) c.public_url = *v;
  if (auto v = env("PLUGBOARD_OUTBOUND_CA_FILE")) c.outbound_ca_file = *v;
  if (auto v = env("PLUGBOARD_EXECUTIONS_RETENTION_DAYS"))
    c.executions.retention_days = env_number<int>("PLUGBOARD_EXECUTIONS_RETENTION_DAYS", *v);
  if (auto v = env("PLUGBOARD_EXECUTIONS_MAX_PAYLOAD_BYTES"))
    c.executions.max_payload_bytes = env_number<std::size_t>("PLUGBOARD_EXECUTIONS_MAX_PAYLOAD_BYTES", *v);
  if (auto v = env("PLUGBOARD_EXECUTIONS_PRUNE_INTERVAL_S"))
    c.executions.prune_interval =
        std::chrono::seconds(env_number<std::int64_t>("PLUGBOARD_EXECUTIONS_PRUNE_INTERVAL_S", *v));
  auto& w = c.webhooks;
  if (auto v = env("PLUGBOARD_TRIGGERS_WORKERS"))
    c.triggers.workers = env_number<int>("PLUGBOARD_TRIGGERS_WORKERS", *v);
  if (auto v = env("PLUGBOARD_TRIGGERS_MIN_INTERVAL_SECONDS"))
    c.triggers.min_interval_seconds = env_number<std::int64_t>("PLUGBOARD_TRIGGERS_MIN_INTERVAL_SECONDS", *v);
  if (auto v = env("PLUGBOARD_AUTOMATIONS_WORKERS"))
    c.automations.workers = env_number<int>("PLUGBOARD_AUTOMATIONS_WORKERS", *v);
  if (auto v = env("PLUGBOARD_AUTOMATIONS_MAX_ATTEMPTS"))
    c.automations.max_attempts = env_number<int>("PLUGBOARD_AUTOMATIONS_MAX_ATTEMPTS", *v);
  if (auto v = env("PLUGBOARD_AUTOMATIONS_RETRY_DELAY_SECONDS"))
    c.automations.retry_delay =
        std::chrono::seconds(env_number<std::int64_t>("PLUGBOARD_AUTOMATIONS_RETRY_DELAY_SECONDS", *v));
  if (auto v = env("PLUGBOARD_WEBHOOKS_WORKERS"))
    w.workers = env_number<int>("PLUGBOARD_WEBHOOKS_WORKERS", *v);
  if (auto v = env("PLUGBOARD_WEBHOOKS_DISABLE_AFTER_FAILURES"))
    w.disable_after_failures = env_number<std::int64_t>("PLUGBOARD_WEBHOOKS_DISABLE_AFTER_FAILURES", *v);
  if (auto v = env("PLUGBOARD_WEBHOOKS_TIMEOUT_MS"))
    w.timeout = std::chrono::milliseconds(env_number<std::int64_t>("PLUGBOARD_WEBHOOKS_TIMEOUT_MS", *v));
  if (auto v = env("PLUGBOARD_WEBHOOKS_RESPONSE_BODY_MAX"))
    w.response_body_max = env_number<std::size_t>("PLUGBOARD_WEBHOOKS_RESPONSE_BODY_MAX", *v);
  if (auto v = env("PLUGBOARD_WEBHOOKS_EGRESS_ALLOW_LOOPBACK"))
    w.egress.allow_loopback = env_bool("PLUGBOARD_WEBHOOKS_EGRESS_ALLOW_LOOPBACK", *v);
  if (auto v = env("PLUGBOARD_WEBHOOKS_EGRESS_ALLOW_PRIVATE"))
    w.egress.allow_private = env_bool("PLUGBOARD_WEBHOOKS_EGRESS_ALLOW_PRIVATE", *v);
  if (auto v = env("PLUGBOARD_RETENTION_EVENTS_DAYS"))
    c.retention.events_days = env_number<std::int64_t>("PLUGBOARD_RETENTION_EVENTS_DAYS", *v);
  if (auto v = env("PLUGBOARD_RETENTION_DELIVERIES_DAYS"))
    c.retention.deliveries_days = env_number<std::int64_t>("PLUGBOARD_RETENTION_DELIVERIES_DAYS", *v);
  if (auto v = env("PLUGBOARD_RETENTION_INTERVAL_SECONDS"))
    c.retention.interval =
        std::chrono::seconds(env_number<std::int64_t>("PLUGBOARD_RETENTION_INTERVAL_SECONDS", *v));
  if (auto v = env("PLUGBOARD_CLUSTER_SHARED_RATE_LIMITS"))
    c.cluster.shared_rate_limits = env_bool("PLUGBOARD_CLUSTER_SHARED_RATE_LIMITS", *v);
  if (auto v = env("PLUGBOARD_CLUSTER_CHANGE_POLL_MS"))
    c.cluster.change_poll =
        std::chrono::milliseconds(env_number<std::int64_t>("PLUGBOARD_CLUSTER_CHANGE_POLL_MS", *v));
  // PLUGBOARD_PROVIDER_<ID>_BASE_URL, e.g. PLUGBOARD_PROVIDER_SLACK_BASE_URL.
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    const std::string prefix = "PLUGBOARD_PROVIDER_", suffix = "_BASE_URL";
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string name = kv.substr(0, eq);
    if (name.size() > prefix.size() + suffix.size() && name.rfind(prefix, 0) == 0 &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      std::string id = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
      std::transform(id.begin(), id.end(), id.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      c.provider_base_urls[id] = kv.substr(eq + 1);
    }
  }
}

}  // namespace

Config load_config(const std::optional<std::filesystem::path>& file) {
  Config c;
  if (file) read_file(c, *file);
  read_env(c);
  if (c.database_url.empty()) c.database_url = "sqlite://" + (c.data_dir / "plugboard.db").string();
  if (c.master_key_file.empty()) c.master_key_file = c.data_dir / "master.key";
  // Several nodes share a database through PostgreSQL; SQLite is usually one node.
  if (!c.cluster.shared_rate_limits) c.cluster.shared_rate_limits = c.database_url.rfind("postgres", 0) == 0;
  if (c.cluster.change_poll.count() < 10 || c.cluster.change_poll.count() > 60'000)
    throw ConfigError("cluster.change_poll_ms must be from 10 to 60000");
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (std::none_of(std::begin(kLevels), std::end(kLevels), [&](const char* l) { return c.log_level == l; }))
    throw ConfigError("log level '" + c.log_level +
                      "' is not one of trace, debug, info, warn, error, critical, off");
  if (c.log_format != "text" && c.log_format != "json")
    throw ConfigError("log format '" + c.log_format + "' is not one of text, json");
  if (c.server.tls_cert_file.empty() != c.server.tls_key_file.empty())
    throw ConfigError(
        "server.tls needs both cert_file and key_file (PLUGBOARD_TLS_CERT_FILE, PLUGBOARD_TLS_KEY_FILE)");
  if (c.server.io_timeout_s < 1 || c.server.keep_alive_timeout_s < 1)
    throw ConfigError("server.io_timeout_s and server.keep_alive_timeout_s must be at least 1 second");
  if (c.server.request_timeout_s < c.server.io_timeout_s)
    throw ConfigError("server.request_timeout_s must be at least server.io_timeout_s");
  if (c.database_pool_size < 1 || c.database_pool_size > 1024)
    throw ConfigError("database.pool_size must be from 1 to 1024");
  if (c.server.threads < 1 || c.server.threads > 4096)
    throw ConfigError("server.threads must be from 1 to 4096");
  if (c.deadline.count() < 1) throw ConfigError("execute.deadline_ms must be positive");
  if (c.automations.workers < 1 || c.automations.workers > 64)
    throw ConfigError("automations.workers must be from 1 to 64");
  if (c.automations.max_attempts < 1 || c.automations.max_attempts > 20)
    throw ConfigError("automations.max_attempts must be from 1 to 20");
  if (c.automations.retry_delay.count() < 0 || c.automations.retry_delay.count() > 86'400)
    throw ConfigError("automations.retry_delay_seconds must be from 0 to 86400");
  if (c.executions.retention_days < 0 || c.executions.retention_days > 36500)
    throw ConfigError("executions.retention_days must be from 0 (keep everything) to 36500");
  if (c.executions.max_payload_bytes < 256 || c.executions.max_payload_bytes > 16 * 1024 * 1024)
    throw ConfigError("executions.max_payload_bytes must be from 256 to 16777216");
  if (c.executions.prune_interval.count() < 1 || c.executions.prune_interval.count() > 86'400)
    throw ConfigError("executions.prune_interval_s must be from 1 to 86400");
  if (c.triggers.workers < 1 || c.triggers.workers > 64)
    throw ConfigError("triggers.workers must be from 1 to 64");
  if (c.triggers.min_interval_seconds < 1 || c.triggers.min_interval_seconds > 86'400)
    throw ConfigError("triggers.min_interval_seconds must be from 1 to 86400");
  if (c.webhooks.workers < 1 || c.webhooks.workers > 256)
    throw ConfigError("webhooks.workers must be from 1 to 256");
  if (c.webhooks.timeout.count() < 100 || c.webhooks.timeout.count() > 300000)
    throw ConfigError("webhooks.timeout_ms must be from 100 to 300000");
  if (c.webhooks.disable_after_failures < 0)
    throw ConfigError("webhooks.disable_after_failures must be 0 (never) or more");
  if (c.webhooks.response_body_max > 1024 * 1024)
    throw ConfigError("webhooks.response_body_max must be at most 1048576 bytes");
  for (const auto days : {c.retention.events_days, c.retention.deliveries_days})
    if (days < 0 || days > 36500)
      throw ConfigError(
          "retention.events_days and retention.deliveries_days must be from 0 (keep for ever) to 36500");
  if (c.retention.interval.count() < 1 || c.retention.interval.count() > 86400)
    throw ConfigError("retention.interval_seconds must be from 1 to 86400");
  for (const auto& [id, url] : c.provider_base_urls)
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
      throw ConfigError("providers." + id + ".base_url must start with http:// or https://");
  return c;
}

}  // namespace plugboard::app

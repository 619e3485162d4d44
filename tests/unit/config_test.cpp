#include "app/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

using namespace plugboard::app;
namespace fs = std::filesystem;

namespace {
fs::path write_config(const std::string& text) {
  auto dir = fs::temp_directory_path() / ("pb_config_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto p = dir / "plugboard.yaml";
  std::ofstream(p) << text;
  return p;
}
}  // namespace

TEST(Config, DefaultsRunAsTheyAre) {
  auto c = load_config(std::nullopt);
  EXPECT_EQ(c.server.host, "127.0.0.1");
  EXPECT_EQ(c.database_url, "sqlite://var/plugboard.db");
  EXPECT_EQ(c.master_key_file, fs::path("var/master.key"));
}

TEST(Config, FileValuesResolveRelativeToTheFile) {
  auto file = write_config(
      "server: {port: 9090, threads: 64}\ndata_dir: data\nplugins: {dir: /opt/plugins}\n"
      "providers: {slack: {base_url: 'http://127.0.0.1:1/api'}}\nexecute: {deadline_ms: 1500}\n");
  auto c = load_config(file);
  EXPECT_EQ(c.server.port, 9090);
  EXPECT_EQ(c.server.threads, 64);
  EXPECT_EQ(c.data_dir, file.parent_path() / "data");
  EXPECT_EQ(c.plugins_dir, fs::path("/opt/plugins"));
  EXPECT_EQ(c.provider_base_urls.at("slack"), "http://127.0.0.1:1/api");
  EXPECT_EQ(c.deadline.count(), 1500);
}

TEST(Config, EnvironmentWins) {
  auto file = write_config("server: {port: 9090}\n");
  ::setenv("PLUGBOARD_PORT", "7070", 1);
  ::setenv("PLUGBOARD_PROVIDER_SLACK_BASE_URL", "http://127.0.0.1:2/api", 1);
  auto c = load_config(file);
  ::unsetenv("PLUGBOARD_PORT");
  ::unsetenv("PLUGBOARD_PROVIDER_SLACK_BASE_URL");
  EXPECT_EQ(c.server.port, 7070);
  EXPECT_EQ(c.provider_base_urls.at("slack"), "http://127.0.0.1:2/api");
}

TEST(Config, MistakesNameFileLineAndKey) {
  try {
    load_config(write_config("server:\n  prot: 1\n"));
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(":2: server.prot: unknown setting"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_config(write_config("server: {port: many}\n")), ConfigError);
  EXPECT_THROW(load_config(write_config("providers: {slack: {base_url: 'ftp://x'}}\n")), ConfigError);
  ::setenv("PLUGBOARD_PORT", "abc", 1);
  EXPECT_THROW(load_config(std::nullopt), ConfigError);
  ::unsetenv("PLUGBOARD_PORT");
}

TEST(Config, RangesAndLevelsAreChecked) {
  ::setenv("PLUGBOARD_PORT", "70000", 1);
  EXPECT_THROW(load_config(std::nullopt), ConfigError);
  ::unsetenv("PLUGBOARD_PORT");
  ::setenv("PLUGBOARD_LOG_LEVEL", "bogus", 1);
  EXPECT_THROW(load_config(std::nullopt), ConfigError);
  ::unsetenv("PLUGBOARD_LOG_LEVEL");
}

TEST(Config, RequestTimeoutCoversAtLeastOneRead) {
  EXPECT_EQ(load_config(std::nullopt).server.request_timeout_s, 60);
  EXPECT_EQ(load_config(write_config("server: {io_timeout_s: 5, request_timeout_s: 20}\n"))
                .server.request_timeout_s,
            20);
  EXPECT_THROW(load_config(write_config("server: {io_timeout_s: 30, request_timeout_s: 10}\n")), ConfigError);
}

TEST(Config, DatabasePoolSizeFromFileOrEnvironmentWithinRange) {
  EXPECT_EQ(load_config(std::nullopt).database_pool_size, 8);
  EXPECT_EQ(
      load_config(write_config("database: {url: 'postgresql://u@h/db', pool_size: 20}\n")).database_pool_size,
      20);
  EXPECT_THROW(load_config(write_config("database: {pool_size: 0}\n")), ConfigError);
  ::setenv("PLUGBOARD_DATABASE_POOL_SIZE", "2000", 1);
  EXPECT_THROW(load_config(std::nullopt), ConfigError);
  ::setenv("PLUGBOARD_DATABASE_POOL_SIZE", "3", 1);
  EXPECT_EQ(load_config(std::nullopt).database_pool_size, 3);
  ::unsetenv("PLUGBOARD_DATABASE_POOL_SIZE");
}

TEST(Config, SharedRateLimitsDefaultToTheDatabaseKindAndCanBeSetEitherWay) {
  EXPECT_EQ(load_config(std::nullopt).cluster.shared_rate_limits, false);  // the default SQLite file
  EXPECT_EQ(
      load_config(write_config("database: {url: 'postgresql://db/plugboard'}\n")).cluster.shared_rate_limits,
      true);
  auto c = load_config(write_config("cluster: {shared_rate_limits: true, change_poll_ms: 50}\n"));
  EXPECT_EQ(c.cluster.shared_rate_limits, true);
  EXPECT_EQ(c.cluster.change_poll, std::chrono::milliseconds(50));
  ::setenv("PLUGBOARD_CLUSTER_SHARED_RATE_LIMITS", "false", 1);
  EXPECT_EQ(load_config(write_config("database: {url: 'postgresql://db/x'}\n")).cluster.shared_rate_limits,
            false);
  ::unsetenv("PLUGBOARD_CLUSTER_SHARED_RATE_LIMITS");
  EXPECT_THROW(load_config(write_config("cluster: {change_poll_ms: 5}\n")), ConfigError);
  EXPECT_THROW(load_config(write_config("cluster: {shared: true}\n")), ConfigError);
}

TEST(Config, PluginIsolationFromFileAndEnvironment) {
  auto file = write_config(
      "plugins:\n  isolation: {slack: process, echo: in_process}\n"
      "  process: {memory_limit_mb: 256, restart_backoff_ms: 50, max_restart_backoff_ms: 800, "
      "healthy_after_s: 5, kill_grace_ms: 10, host_binary: bin/host}\n");
  auto c = load_config(file);
  EXPECT_EQ(c.isolated_plugins, (std::set<std::string>{"slack"}));
  EXPECT_EQ(c.isolation.memory_limit_mb, 256u);
  EXPECT_EQ(c.isolation.restart_backoff.count(), 50);
  EXPECT_EQ(c.isolation.max_restart_backoff.count(), 800);
  EXPECT_EQ(c.isolation.healthy_after.count(), 5000);
  EXPECT_EQ(c.isolation.kill_grace.count(), 10);
  EXPECT_EQ(c.isolation.host_binary, file.parent_path() / "bin/host");
  ::setenv("PLUGBOARD_PLUGINS_ISOLATION", "slack=in_process,broken=process", 1);
  ::setenv("PLUGBOARD_PLUGINS_MEMORY_LIMIT_MB", "128", 1);
  c = load_config(file);
  ::unsetenv("PLUGBOARD_PLUGINS_MEMORY_LIMIT_MB");
  EXPECT_EQ(c.isolated_plugins, (std::set<std::string>{"broken"}));
  EXPECT_EQ(c.isolation.memory_limit_mb, 128u);
  ::setenv("PLUGBOARD_PLUGINS_ISOLATION", "slack", 1);
  EXPECT_THROW(load_config(std::nullopt), ConfigError);
  ::unsetenv("PLUGBOARD_PLUGINS_ISOLATION");
  try {
    load_config(write_config("plugins:\n  isolation: {slack: sandbox}\n"));
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(":2: plugins.isolation.slack: must be process or in_process"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(load_config(write_config("plugins: {process: {memory_limt_mb: 1}}\n")), ConfigError);
}

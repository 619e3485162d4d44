#include "store/migrations.hpp"
#include "store/open_store.hpp"
#include "store/postgres_url.hpp"
#include "store/sql_migrate.hpp"
#include "store/sql_store.hpp"

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace plugboard::store;
using namespace Poco::Data::Keywords;

namespace {

enum class Backend { sqlite, postgresql };

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::sqlite ? "SQLite" : "PostgreSQL";
}

// The server ctest starts (tests/integration/pg_cluster.py as launcher); each test gets a
// fresh database on it. Without it the PostgreSQL tests fail: they must never pass unrun.
std::string pg_server_url() {
  const char* url = std::getenv("PLUGBOARD_TEST_PG_URL");
  return url ? url : "";
}

// url with its database name replaced.
std::string with_database(const std::string& url, const std::string& name) {
  return url.substr(0, url.rfind('/') + 1) + name;
}

Poco::Data::Session pg_session(const std::string& url) {
  Poco::Data::PostgreSQL::Connector::registerConnector();
  return Poco::Data::Session("PostgreSQL", parse_postgres_url(url).conninfo);
}

// Opens a fresh store of either backend and removes it after; raw() reaches the same
// database beside the repositories.
class StoreFixture {
 protected:
  void open(Backend backend) {
    backend_ = backend;
    dir_ = fs::temp_directory_path() /
           ("pb-store-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
    db_path_ = dir_ / "data" / "plugboard.db";
    if (backend == Backend::sqlite) {
      url_ = "sqlite://" + db_path_.string();
    } else {
      const std::string server = pg_server_url();
      if (server.empty())
        FAIL() << "PLUGBOARD_TEST_PG_URL is not set: run through ctest, which starts a server";
      static int counter = 0;
      pg_database_ = "pb_store_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
      auto admin = pg_session(server);
      admin << "CREATE DATABASE " + pg_database_, now;
      url_ = with_database(server, pg_database_);
    }
    store_ = open_store(url_);
  }
  void close() {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
    if (!pg_database_.empty()) {
      auto admin = pg_session(pg_server_url());
      admin << "DROP DATABASE IF EXISTS " + pg_database_ + " WITH (FORCE)", now;
    }
  }

  // A raw connection to the same database, for checks the repositories do not expose.
  Poco::Data::Session raw() {
    if (backend_ == Backend::sqlite) return Poco::Data::Session("SQLite", db_path_.string());
    return pg_session(url_);
  }

  Workspace workspace(const std::string& id, const std::string& created = "2026-01-01T00:00:00Z") {
    Workspace w{id, "name-" + id, created};
    store_->workspaces().create(w);
    return w;
  }

  Backend backend_ = Backend::sqlite;
  fs::path dir_;
  fs::path db_path_;
  std::string url_;  // what open_store took
  std::string pg_database_;
  std::unique_ptr<Store> store_;
};

// Runs once per backend: the repositories' contract holds on SQLite and on PostgreSQL.
class StoreTest : public StoreFixture, public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { open(GetParam()); }
  void TearDown() override { close(); }
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values(Backend::sqlite, Backend::postgresql),
                         backend_name);

// What only SQLite has: a file, WAL, a busy timeout.
class SqliteStoreTest : public StoreFixture, public ::testing::Test {
 protected:
  void SetUp() override { open(Backend::sqlite); }
  void TearDown() override { close(); }
};

// What only PostgreSQL has: a server, roles with passwords, URLs with hosts.
class PostgresStoreTest : public StoreFixture, public ::testing::Test {
 protected:
  void SetUp() override { open(Backend::postgresql); }
  void TearDown() override { close(); }
};

Connection make_connection(const std::string& id, const std::string& ws, const std::string& project,
                           const std::string& provider, const std::string& status,
                           const std::string& created) {
  Connection c;
  c.id = id;
  c.workspace_id = ws;
  c.project_id = project;
  c.provider = provider;
  c.integration_id = provider + "-default";
  c.name = "conn " + id;
  c.auth_type = "oauth2";
  c.status = status;
  c.configuration_json = R"({"region":"eu"})";
  c.sealed_credentials = "v1:0123456789abcdef:c2VhbGVk";
  c.created_at = created;
  c.updated_at = created;
  return c;
}

Execution make_execution(const std::string& id, const std::string& ws, const std::string& started) {
  Execution e;
  e.id = id;
  e.request_id = "req-" + id;
  e.workspace_id = ws;
  e.project_id = "p1";
  e.connection_id = "c1";
  e.provider = "slack";
  e.action = "send_message";
  e.status = "success";
  e.duration_ms = 42;
  e.started_at = started;
  e.parameters_json = R"({"text":"hi"})";
  e.result_json = R"({"ok":true})";
  return e;
}

}  // namespace

// --- opening and migrations -------------------------------------------------------------

TEST_P(StoreTest, FreshDatabaseIsMigratedAndRecorded) {
  EXPECT_EQ(store_->schema_version(), latest_schema_version());
  auto s = raw();
  Poco::Int64 rows = 0;
  std::string applied_at;
  s << "SELECT COUNT(*) FROM schema_migrations", into(rows), now;
  EXPECT_EQ(rows, static_cast<Poco::Int64>(migrations().size()));
  s << "SELECT applied_at FROM schema_migrations WHERE version = 1", into(applied_at), now;
  EXPECT_EQ(applied_at.size(), 20u) << applied_at;
  EXPECT_EQ(applied_at.back(), 'Z');
}

TEST_P(StoreTest, ReopenIsIdempotentAndKeepsData) {
  workspace("w1");
  store_.reset();
  store_ = open_store(url_);
  EXPECT_EQ(store_->schema_version(), latest_schema_version());
  EXPECT_TRUE(store_->workspaces().get("w1"));
  auto s = raw();
  Poco::Int64 rows = 0;
  s << "SELECT COUNT(*) FROM schema_migrations", into(rows), now;
  EXPECT_EQ(rows, static_cast<Poco::Int64>(migrations().size()));
}

TEST_P(StoreTest, NewerSchemaIsRefused) {
  {
    auto s = raw();
    Poco::Int64 v = latest_schema_version() + 1;
    s << "INSERT INTO schema_migrations (version, description, applied_at) VALUES (" + std::to_string(v) +
             ", 'future', 'x')",
        now;
  }
  store_.reset();
  try {
    store_ = open_store(url_);
    FAIL() << "opened a database from the future";
  } catch (const StoreError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(std::to_string(latest_schema_version() + 1)), std::string::npos) << msg;
    EXPECT_NE(msg.find("newer"), std::string::npos) << msg;
  }
}

TEST_F(SqliteStoreTest, WalBusyTimeoutAndForeignKeys) {
  auto* sqlite = dynamic_cast<SqlStore*>(store_.get());
  ASSERT_NE(sqlite, nullptr);
  EXPECT_EQ(sqlite->journal_mode(), "wal");
  std::string mode;
  auto s = raw();
  s << "PRAGMA journal_mode", into(mode), now;
  EXPECT_EQ(mode, "wal");  // a property of the file, seen by any connection
  // Foreign keys are enforced on the store's connections: no project without its workspace.
  try {
    store_->projects().create(Project{"p1", "missing", "p", "2026-01-01T00:00:00Z"});
    FAIL();
  } catch (const ConflictError&) {
    FAIL() << "a foreign key failure is not a conflict";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("creating project"), std::string::npos) << e.what();
  }
}

TEST_F(SqliteStoreTest, WritersWaitForALockHolderInsteadOfFailing) {
  auto s = raw();
  s << "BEGIN IMMEDIATE", now;  // another writer holds the database
  std::atomic<bool> done{false};
  std::string error;
  std::thread writer([&] {
    try {
      workspace("w1");
    } catch (const std::exception& e) {
      error = e.what();
    }
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(done.load()) << "the write did not wait for the lock: " << error;
  s << "COMMIT", now;
  writer.join();
  EXPECT_EQ(error, "");
  EXPECT_TRUE(store_->workspaces().get("w1"));
}

TEST_F(SqliteStoreTest, UrlForms) {
  EXPECT_TRUE(fs::exists(db_path_));  // sqlite:///absolute, parent directory created
  EXPECT_EQ(fs::status(db_path_).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  const fs::path plain = dir_ / "a" / "b" / "plain.db";
  EXPECT_EQ(open_store(plain.string())->schema_version(), latest_schema_version());
  EXPECT_TRUE(fs::exists(plain));

  const fs::path old_cwd = fs::current_path();
  fs::current_path(dir_);
  EXPECT_NO_THROW(open_store("sqlite://rel/relative.db"));
  fs::current_path(old_cwd);
  EXPECT_TRUE(fs::exists(dir_ / "rel" / "relative.db"));

  try {
    open_store("mysql://plugboard:hunter2@db.example/plugboard");
    FAIL();
  } catch (const StoreError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("not supported"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("hunter2"), std::string::npos) << msg;
  }
  EXPECT_THROW(open_store("sqlite://"), StoreError);
}

// --- workspaces and projects ------------------------------------------------------------

TEST_P(StoreTest, Workspaces) {
  auto& repo = store_->workspaces();
  const Workspace w1 = workspace("w1", "2026-01-01T00:00:01Z");
  workspace("w2", "2026-01-01T00:00:02Z");
  workspace("w3", "2026-01-01T00:00:03Z");

  const auto got = repo.get("w1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, w1.name);
  EXPECT_EQ(got->created_at, w1.created_at);
  EXPECT_FALSE(repo.get("nope"));
  ASSERT_TRUE(repo.find_by_name("name-w2"));
  EXPECT_EQ(repo.find_by_name("name-w2")->id, "w2");
  EXPECT_FALSE(repo.find_by_name("nope"));

  EXPECT_EQ(repo.list(Page{}).size(), 3u);
  const auto page = repo.list(Page{2, 1});
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].id, "w2");
  EXPECT_EQ(page[1].id, "w3");
  EXPECT_TRUE(repo.list(Page{10, 3}).empty());
  EXPECT_TRUE(repo.list(Page{-1, 0}).empty());

  EXPECT_THROW(repo.create(Workspace{"w1", "other", "t"}), ConflictError);
  try {
    repo.create(Workspace{"w9", "name-w1", "t"});
    FAIL();
  } catch (const ConflictError& e) {
    // SQLite names table and column, PostgreSQL the constraint.
    const char* names = backend_ == Backend::sqlite ? "workspaces.name" : "workspaces_name_key";
    EXPECT_NE(std::string(e.what()).find(names), std::string::npos) << e.what();
  }
}

TEST_P(StoreTest, Projects) {
  workspace("w1");
  workspace("w2");
  auto& repo = store_->projects();
  repo.create(Project{"p1", "w1", "alpha", "2026-01-01T00:00:01Z"});
  repo.create(Project{"p2", "w1", "beta", "2026-01-01T00:00:02Z"});
  repo.create(Project{"p3", "w2", "alpha", "2026-01-01T00:00:03Z"});  // same name, other workspace
  EXPECT_THROW(repo.create(Project{"p4", "w1", "alpha", "t"}), ConflictError);
  EXPECT_THROW(repo.create(Project{"p1", "w2", "gamma", "t"}), ConflictError);

  ASSERT_TRUE(repo.get("p2"));
  EXPECT_EQ(repo.get("p2")->workspace_id, "w1");
  EXPECT_EQ(repo.get("p2")->name, "beta");
  EXPECT_FALSE(repo.get("nope"));
  ASSERT_TRUE(repo.find_by_name("w2", "alpha"));
  EXPECT_EQ(repo.find_by_name("w2", "alpha")->id, "p3");
  EXPECT_FALSE(repo.find_by_name("w2", "beta"));

  EXPECT_EQ(repo.list("w1", Page{}).size(), 2u);
  const auto second = repo.list("w1", Page{1, 1});
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].id, "p2");
  EXPECT_TRUE(repo.list("w3", Page{}).empty());

  EXPECT_TRUE(repo.remove("p1"));
  EXPECT_FALSE(repo.remove("p1"));
  EXPECT_FALSE(repo.get("p1"));
  repo.create(Project{"p5", "w1", "alpha", "t"});  // the name is free again
}

// --- API keys ---------------------------------------------------------------------------

TEST_P(StoreTest, ApiKeysRoundTripIncludingNullables) {
  workspace("w1");
  auto& repo = store_->api_keys();
  ApiKey full;
  full.id = "k1";
  full.workspace_id = "w1";
  full.name = "ci";
  full.prefix = "pb_abcdefg";
  full.hash = std::string(64, 'a');
  full.operations = {"read", "execute"};
  full.integrations = {"slack", "with \"quotes\""};
  full.projects = {"p1"};
  full.expires_at = "2027-01-01T00:00:00Z";
  full.rate_limit = RateLimit{1000, 50};
  full.revoked = false;
  full.created_at = "2026-01-01T00:00:01Z";
  full.last_used = "2026-01-02T00:00:00Z";
  repo.create(full);

  ApiKey bare;
  bare.id = "k2";
  bare.workspace_id = "w1";
  bare.name = "bare";
  bare.prefix = "pb_1234567";
  bare.hash = std::string(64, 'b');
  bare.created_at = "2026-01-01T00:00:02Z";
  repo.create(bare);

  const auto a = repo.get("k1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->operations, full.operations);
  EXPECT_EQ(a->integrations, full.integrations);
  EXPECT_EQ(a->projects, full.projects);
  EXPECT_EQ(a->expires_at, full.expires_at);
  ASSERT_TRUE(a->rate_limit);
  EXPECT_EQ(a->rate_limit->requests_per_hour, 1000);
  EXPECT_EQ(a->rate_limit->burst_limit, 50);
  EXPECT_FALSE(a->revoked);
  EXPECT_EQ(a->last_used, full.last_used);
  EXPECT_EQ(a->prefix, full.prefix);
  EXPECT_EQ(a->hash, full.hash);

  const auto b = repo.find_by_hash(std::string(64, 'b'));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->id, "k2");
  EXPECT_TRUE(b->operations.empty());
  EXPECT_FALSE(b->expires_at);
  EXPECT_FALSE(b->rate_limit);
  EXPECT_FALSE(b->last_used);
  EXPECT_FALSE(repo.find_by_hash(std::string(64, 'c')));
  EXPECT_FALSE(repo.get("nope"));

  ApiKey dup = bare;
  dup.id = "k3";
  EXPECT_THROW(repo.create(dup), ConflictError);  // same hash

  const auto listed = repo.list("w1", Page{});
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, "k1");
  EXPECT_EQ(repo.list("w1", Page{1, 1}).at(0).id, "k2");
  EXPECT_TRUE(repo.list("other", Page{}).empty());
}

TEST_P(StoreTest, ApiKeyRevokeAndTouch) {
  workspace("w1");
  auto& repo = store_->api_keys();
  for (const char* id : {"k1", "k2"}) {
    ApiKey k;
    k.id = id;
    k.workspace_id = "w1";
    k.name = id;
    k.prefix = "pb_";
    k.hash = std::string("hash-") + id;
    k.created_at = "2026-01-01T00:00:00Z";
    repo.create(k);
  }
  EXPECT_TRUE(repo.revoke("k1"));
  EXPECT_TRUE(repo.get("k1")->revoked);
  EXPECT_TRUE(repo.revoke("k1"));  // idempotent: the key exists and stays revoked
  EXPECT_FALSE(repo.revoke("nope"));
  EXPECT_FALSE(repo.get("k2")->revoked);

  repo.touch(
      {{"k1", "2026-02-01T00:00:00Z"}, {"k2", "2026-02-02T00:00:00Z"}, {"nope", "2026-02-03T00:00:00Z"}});
  EXPECT_EQ(repo.get("k1")->last_used, "2026-02-01T00:00:00Z");
  EXPECT_EQ(repo.get("k2")->last_used, "2026-02-02T00:00:00Z");
  repo.touch({{"k1", "2026-01-15T00:00:00Z"}});  // late, older batch: ignored
  EXPECT_EQ(repo.get("k1")->last_used, "2026-02-01T00:00:00Z");
  repo.touch({});
}

// --- connections ------------------------------------------------------------------------

TEST_P(StoreTest, ConnectionsCrudFiltersAndPaging) {
  workspace("w1");
  workspace("w2");
  auto& repo = store_->connections();
  repo.create(make_connection("c1", "w1", "p1", "slack", "connected", "2026-01-01T00:00:01Z"));
  repo.create(make_connection("c2", "w1", "p1", "teams", "error", "2026-01-01T00:00:02Z"));
  repo.create(make_connection("c3", "w1", "p2", "slack", "connected", "2026-01-01T00:00:03Z"));
  repo.create(make_connection("c4", "w2", "p9", "slack", "connected", "2026-01-01T00:00:04Z"));
  Connection other = make_connection("c5", "w1", "p2", "google_drive", "pending", "2026-01-01T00:00:05Z");
  other.integration_id = "drive-custom";
  other.sealed_credentials.reset();
  repo.create(other);

  const auto c1 = repo.get("c1");
  ASSERT_TRUE(c1);
  EXPECT_EQ(c1->configuration_json, R"({"region":"eu"})");
  EXPECT_EQ(c1->sealed_credentials, "v1:0123456789abcdef:c2VhbGVk");
  EXPECT_EQ(c1->integration_id, "slack-default");
  EXPECT_FALSE(repo.get("c5")->sealed_credentials);
  EXPECT_FALSE(repo.get("nope"));

  ConnectionFilter f{"w1", std::nullopt, std::nullopt, std::nullopt};
  EXPECT_EQ(repo.count(f), 4);
  EXPECT_EQ(repo.list(f, Page{}).size(), 4u);
  const auto page = repo.list(f, Page{2, 1});
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].id, "c2");
  EXPECT_EQ(page[1].id, "c3");

  f.project_id = "p1";
  EXPECT_EQ(repo.count(f), 2);
  f.status = "error";
  EXPECT_EQ(repo.count(f), 1);
  EXPECT_EQ(repo.list(f, Page{}).at(0).id, "c2");

  ConnectionFilter by_integration{"w1", std::nullopt, std::string("slack"),
                                  std::nullopt};  // matches provider
  EXPECT_EQ(repo.count(by_integration), 2);
  by_integration.integration_id = "drive-custom";  // matches integration_id
  ASSERT_EQ(repo.list(by_integration, Page{}).size(), 1u);
  EXPECT_EQ(repo.list(by_integration, Page{}).at(0).id, "c5");
  EXPECT_EQ(repo.count(ConnectionFilter{"w3", {}, {}, {}}), 0);

  EXPECT_THROW(repo.create(make_connection("c1", "w1", "p1", "slack", "connected", "t")), ConflictError);
}

TEST_P(StoreTest, ConnectionUpdateAndRemove) {
  workspace("w1");
  auto& repo = store_->connections();
  repo.create(make_connection("c1", "w1", "p1", "slack", "pending", "2026-01-01T00:00:00Z"));
  Connection c = *repo.get("c1");
  c.status = "connected";
  c.name = "renamed";
  c.configuration_json = "{}";
  c.sealed_credentials.reset();
  c.updated_at = "2026-01-02T00:00:00Z";
  c.created_at = "1999-01-01T00:00:00Z";  // not updatable
  repo.update(c);
  const Connection got = *repo.get("c1");
  EXPECT_EQ(got.status, "connected");
  EXPECT_EQ(got.name, "renamed");
  EXPECT_EQ(got.configuration_json, "{}");
  EXPECT_FALSE(got.sealed_credentials);
  EXPECT_EQ(got.updated_at, "2026-01-02T00:00:00Z");
  EXPECT_EQ(got.created_at, "2026-01-01T00:00:00Z");

  c.sealed_credentials = "v1:0123456789abcdef:bmV3";
  repo.update(c);
  EXPECT_EQ(repo.get("c1")->sealed_credentials, "v1:0123456789abcdef:bmV3");

  Connection missing = c;
  missing.id = "nope";
  EXPECT_THROW(repo.update(missing), NotFoundError);

  EXPECT_TRUE(repo.remove("c1"));
  EXPECT_FALSE(repo.remove("c1"));
  EXPECT_FALSE(repo.get("c1"));
}

TEST_P(StoreTest, ErrorsDoNotCarryBoundValues) {
  workspace("w1");
  Connection c = make_connection("c1", "w1", "p1", "slack", "connected", "t");
  c.sealed_credentials = "v1:0123456789abcdef:U0VDUkVULVRPS0VO";
  store_->connections().create(c);
  try {
    store_->connections().create(c);
    FAIL();
  } catch (const ConflictError& e) {
    EXPECT_EQ(std::string(e.what()).find("U0VDUkVULVRPS0VO"), std::string::npos) << e.what();
  }
}

// --- executions -------------------------------------------------------------------------

TEST_P(StoreTest, ExecutionBatchGetAndRecent) {
  std::vector<Execution> batch;
  for (int i = 0; i < 100; ++i) {
    char started[32];
    std::snprintf(started, sizeof started, "2026-01-01T00:%02d:%02dZ", i / 60, i % 60);
    batch.push_back(make_execution("e" + std::to_string(i), i % 2 ? "w1" : "w2", started));
  }
  batch[7].status = "error";
  batch[7].error_code = "provider_timeout";
  batch[7].duration_ms = 30000;
  store_->executions().insert_batch(batch);
  store_->executions().insert_batch({});

  const auto e7 = store_->executions().get("e7");
  ASSERT_TRUE(e7);
  EXPECT_EQ(e7->status, "error");
  EXPECT_EQ(e7->error_code, "provider_timeout");
  EXPECT_EQ(e7->duration_ms, 30000);
  EXPECT_EQ(e7->request_id, "req-e7");
  EXPECT_EQ(e7->parameters_json, R"({"text":"hi"})");
  EXPECT_EQ(e7->result_json, R"({"ok":true})");
  EXPECT_EQ(store_->executions().get("e8")->error_code, "");
  EXPECT_FALSE(store_->executions().get("nope"));

  const auto recent = store_->executions().list_recent("w1", 3);
  ASSERT_EQ(recent.size(), 3u);
  EXPECT_EQ(recent[0].id, "e99");  // newest first
  EXPECT_EQ(recent[1].id, "e97");
  EXPECT_EQ(recent[2].id, "e95");
  EXPECT_EQ(store_->executions().list_recent("w2", 1000).size(), 50u);
  EXPECT_TRUE(store_->executions().list_recent("w1", -5).empty());
}

TEST_P(StoreTest, ExecutionBatchIsAllOrNothing) {
  std::vector<Execution> batch = {make_execution("a", "w1", "2026-01-01T00:00:00Z"),
                                  make_execution("b", "w1", "2026-01-01T00:00:01Z"),
                                  make_execution("a", "w1", "2026-01-01T00:00:02Z")};
  EXPECT_THROW(store_->executions().insert_batch(batch), ConflictError);
  EXPECT_FALSE(store_->executions().get("a"));
  EXPECT_FALSE(store_->executions().get("b"));
  batch.pop_back();
  store_->executions().insert_batch(batch);  // the connection is usable again after the rollback
  EXPECT_EQ(store_->executions().list_recent("w1", 10).size(), 2u);
}

TEST_P(StoreTest, ExecutionListFiltersAndPagesByPosition) {
  workspace("w1");
  Connection c2 = make_connection("c2", "w1", "p1", "teams", "connected", "2026-01-01T00:00:00Z");
  store_->projects().create({"p1", "w1", "main", "2026-01-01T00:00:00Z"});
  store_->connections().create(c2);
  std::vector<Execution> batch;
  for (int i = 0; i < 10; ++i) {
    char started[32];
    std::snprintf(started, sizeof started, "2026-01-01T00:00:%02dZ", i / 2);  // two per second
    auto e = make_execution("e" + std::to_string(i), "w1", started);
    if (i % 3 == 0) e.status = "error";
    if (i >= 8) {
      e.connection_id = "c2";
      e.provider = "teams";
      e.project_id = "p2";
    }
    batch.push_back(e);
  }
  batch.push_back(make_execution("other-ws", "w2", "2026-01-01T00:00:09Z"));
  store_->executions().insert_batch(batch);

  ExecutionFilter f;
  f.workspace_id = "w1";
  auto page = store_->executions().list(f, std::nullopt, 3);
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].id, "e9");  // newest first; equal times by id, descending
  EXPECT_EQ(page[1].id, "e8");
  EXPECT_EQ(page[2].id, "e7");
  // Paging from the last position crosses equal timestamps without repeats or gaps.
  std::vector<std::string> all;
  std::optional<ExecutionPosition> after;
  for (;;) {
    auto p = store_->executions().list(f, after, 3);
    for (const auto& e : p) all.push_back(e.id);
    if (p.size() < 3) break;
    after = ExecutionPosition{p.back().started_at, p.back().id};
  }
  EXPECT_EQ(all, (std::vector<std::string>{"e9", "e8", "e7", "e6", "e5", "e4", "e3", "e2", "e1", "e0"}));

  f.status = "error";
  EXPECT_EQ(store_->executions().list(f, std::nullopt, 100).size(), 4u);  // e0 e3 e6 e9
  f.status.reset();
  f.integration_id = "teams-default";
  EXPECT_EQ(store_->executions().list(f, std::nullopt, 100).size(), 2u);
  f.integration_id.reset();
  f.project_ids = {"p2"};
  EXPECT_EQ(store_->executions().list(f, std::nullopt, 100).size(), 2u);
  f.project_ids.clear();
  f.since = "2026-01-01T00:00:01Z";
  f.until = "2026-01-01T00:00:02Z";
  EXPECT_EQ(store_->executions().list(f, std::nullopt, 100).size(), 4u);  // e2..e5

  const auto usage =
      store_->executions().usage_by_provider("w1", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z");
  ASSERT_EQ(usage.size(), 2u);
  EXPECT_EQ(usage[0].provider, "slack");
  EXPECT_EQ(usage[0].total, 8);
  EXPECT_EQ(usage[0].errors, 3);  // e0 e3 e6
  EXPECT_EQ(usage[0].total_duration_ms, 8 * 42);
  EXPECT_EQ(usage[0].payload_bytes, 8 * (13 + 11));
  EXPECT_EQ(usage[1].provider, "teams");
  EXPECT_EQ(usage[1].last_at, "2026-01-01T00:00:04Z");
}

TEST_P(StoreTest, ExecutionPruneDeletesOnlyOldRecordsInBatches) {
  workspace("w1");
  workspace("w2");
  std::vector<Execution> batch;
  for (int i = 0; i < 30; ++i) {
    char started[32];
    std::snprintf(started, sizeof started, "2026-01-%02dT00:00:00Z", i + 1);
    batch.push_back(make_execution("e" + std::to_string(i), i % 2 ? "w1" : "w2", started));
  }
  store_->executions().insert_batch(batch);
  EXPECT_EQ(store_->executions().prune_before("2026-01-11T00:00:00Z", 4), 4);
  EXPECT_EQ(store_->executions().prune_before("2026-01-11T00:00:00Z", 100), 6);
  EXPECT_EQ(store_->executions().prune_before("2026-01-11T00:00:00Z", 100), 0);
  EXPECT_FALSE(store_->executions().get("e9"));
  EXPECT_TRUE(store_->executions().get("e10"));  // started exactly at the bound: kept
  EXPECT_EQ(
      store_->executions().list_recent("w1", 100).size() + store_->executions().list_recent("w2", 100).size(),
      20u);
}

// --- concurrency ------------------------------------------------------------------------

TEST_P(StoreTest, ConcurrentUseFromThreadsAndTwoStores) {
  // A second store on the same file stands in for a second process.
  auto second = open_store(url_);
  workspace("w");
  constexpr int kThreads = 12;  // more than the pool size: checkouts must wait, not fail
  constexpr int kRounds = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& store = t % 2 ? *store_ : *second;
      try {
        for (int r = 0; r < kRounds; ++r) {
          const std::string id = std::to_string(t) + "-" + std::to_string(r);
          store.projects().create(Project{"p" + id, "w", "project " + id, "2026-01-01T00:00:00Z"});
          store.executions().insert_batch({make_execution("a" + id, "w", "2026-01-01T00:00:00Z"),
                                           make_execution("b" + id, "w", "2026-01-01T00:00:00Z")});
          if (!store.projects().get("p" + id)) ++failures;
          (void)store.executions().list_recent("w", 5);
          (void)store.connections().count(ConnectionFilter{"w", {}, {}, {}});
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "thread " << t << ": " << e.what();
        ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store_->projects().list("w", Page{10000, 0}).size(),
            static_cast<std::size_t>(kThreads * kRounds));
  EXPECT_EQ(store_->executions().list_recent("w", 100000).size(),
            static_cast<std::size_t>(2 * kThreads * kRounds));
}

// --- leases on durable work (both backends) -------------------------------------------------

namespace {

WebhookRecord make_webhook(const std::string& id, const std::string& ws) {
  WebhookRecord w;
  w.id = id;
  w.workspace_id = ws;
  w.name = "hook " + id;
  w.url = "http://127.0.0.1:9/hook";
  w.sealed_secret = "v1:00:c2VjcmV0";
  w.created_at = w.updated_at = "2026-01-01T00:00:00Z";
  return w;
}

WebhookDelivery make_delivery(const std::string& id, const std::string& webhook, std::int64_t due_ms) {
  WebhookDelivery d;
  d.id = id;
  d.webhook_id = webhook;
  d.event_id = "evt_" + id;
  d.event_type = "thing.happened";
  d.payload_json = "{}";
  d.next_attempt_at_ms = due_ms;
  d.created_at = d.updated_at = "2026-01-01T00:00:00Z";
  return d;
}

}  // namespace

TEST_P(StoreTest, ConcurrentClaimsFromTwoStoresNeverTakeADeliveryTwice) {
  // Two stores stand in for two nodes behind a load balancer, four claimers each.
  workspace("w1");
  store_->webhooks().create(make_webhook("wh1", "w1"));
  constexpr int kDeliveries = 200;
  std::vector<WebhookDelivery> all;
  for (int i = 0; i < kDeliveries; ++i) all.push_back(make_delivery("d" + std::to_string(i), "wh1", 1000));
  ASSERT_EQ(store_->deliveries().enqueue_all(all), kDeliveries);
  EXPECT_EQ(store_->deliveries().enqueue_all(all), 0);  // queueing an event twice is harmless

  auto second = open_store(url_);
  std::mutex mu;
  std::multiset<std::string> claimed;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Store& store = t % 2 ? *store_ : *second;
      try {
        for (;;) {
          auto got = store.deliveries().claim("node" + std::to_string(t), 2000, 60000, 7);
          if (got.empty()) break;
          std::lock_guard lock(mu);
          for (const auto& d : got) {
            EXPECT_EQ(d.leased_by, "node" + std::to_string(t));
            claimed.insert(d.id);
          }
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "claimer " << t << ": " << e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(claimed.size(), static_cast<std::size_t>(kDeliveries));
  for (const auto& id : claimed) EXPECT_EQ(claimed.count(id), 1u) << id << " was claimed twice";
}

TEST_P(StoreTest, ACrashedNodesLeaseRunsOutAndAnotherNodeTakesTheWorkOver) {
  workspace("w1");
  store_->webhooks().create(make_webhook("wh1", "w1"));
  ASSERT_TRUE(store_->deliveries().enqueue(make_delivery("d1", "wh1", 1000)));
  auto first = store_->deliveries().claim("node-a", 1000, 5000, 10);
  ASSERT_EQ(first.size(), 1u);
  // node-a "crashes": it never finishes. Before its lease ends nobody else gets the row...
  EXPECT_TRUE(store_->deliveries().claim("node-b", 5999, 5000, 10).empty());
  // ...after it, node-b does, and node-a's late report is refused.
  auto second = store_->deliveries().claim("node-b", 6000, 5000, 10);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].id, "d1");
  EXPECT_EQ(second[0].leased_by, "node-b");
  WebhookDelivery done = second[0];
  done.status = "success";
  done.attempts = 1;
  EXPECT_FALSE(store_->deliveries().finish(done, "node-a"));
  EXPECT_TRUE(store_->deliveries().finish(done, "node-b"));
  EXPECT_EQ(store_->deliveries().get("d1")->status, "success");
}

// --- PostgreSQL: URLs, the server, passwords ---------------------------------------------------

TEST_F(PostgresStoreTest, MigrationsAreRecordedAndTakeTheAdvisoryLock) {
  EXPECT_EQ(store_->schema_version(), latest_schema_version());
  // Two nodes starting at once on an empty database: both come up, each step applied once.
  const std::string url = with_database(pg_server_url(), pg_database_ + "_twin");
  {
    auto admin = pg_session(pg_server_url());
    admin << "CREATE DATABASE " + pg_database_ + "_twin", now;
  }
  std::vector<std::thread> nodes;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    nodes.emplace_back([&] {
      try {
        (void)open_store(url);
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++failures;
      }
    });
  }
  for (auto& n : nodes) n.join();
  EXPECT_EQ(failures.load(), 0);
  {
    auto s = pg_session(url);
    Poco::Int64 rows = 0;
    s << "SELECT COUNT(*) FROM schema_migrations", into(rows), now;
    EXPECT_EQ(rows, static_cast<Poco::Int64>(migrations().size()));
  }
  auto admin = pg_session(pg_server_url());
  admin << "DROP DATABASE " + pg_database_ + "_twin WITH (FORCE)", now;
}

TEST_F(PostgresStoreTest, PasswordsInUrlsWorkAndAreNeverEchoed) {
  const std::string role = pg_database_ + "_role";
  {
    auto s = raw();
    s << "CREATE ROLE " + role + " LOGIN PASSWORD 'p@ss:w/rd''q'", now;
    s << "GRANT ALL ON SCHEMA public TO " + role, now;
    s << "GRANT ALL ON ALL TABLES IN SCHEMA public TO " + role, now;
  }
  const auto port_start = pg_server_url().rfind(':') + 1;
  const std::string host_port =
      "127.0.0.1:" + pg_server_url().substr(port_start, pg_server_url().rfind('/') - port_start);
  // Percent-encoded, the right password opens the store.
  auto ok = open_store("postgresql://" + role + ":p%40ss%3Aw%2Frd%27q@" + host_port + "/" + pg_database_);
  EXPECT_EQ(ok->schema_version(), latest_schema_version());
  ok.reset();
  try {
    open_store("postgresql://" + role + ":Wrong-Horse-Battery@" + host_port + "/" + pg_database_);
    FAIL() << "a wrong password was accepted";
  } catch (const StoreError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find("Wrong-Horse-Battery"), std::string::npos) << msg;
    EXPECT_NE(msg.find("password authentication failed"), std::string::npos) << msg;
    EXPECT_NE(msg.find("PostgreSQL database 127.0.0.1"), std::string::npos) << msg;
  }
  auto s = raw();
  s << "DROP OWNED BY " + role, now;
  s << "DROP ROLE " + role, now;
}

TEST_F(PostgresStoreTest, UnreachableServerAndBadUrlsAreClearErrors) {
  auto expect_error = [](const std::string& url, const std::string& words) {
    const auto started = std::chrono::steady_clock::now();
    try {
      open_store(url);
      ADD_FAILURE() << url << " opened";
    } catch (const StoreError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(words), std::string::npos) << msg;
      EXPECT_EQ(msg.find("s3cret-pw"), std::string::npos) << msg;
    }
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(15)) << url;
  };
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  expect_error("postgresql://u:s3cret-pw@127.0.0.1:1/db", "cannot open PostgreSQL database 127.0.0.1:1/db");
  expect_error("postgresql://u:s3cret-pw@127.0.0.1:5432", "names no database");
  expect_error("postgresql://u:s3cret-pw@127.0.0.1:99999/db", "bad port");
  expect_error("postgresql://u:s3cret-pw@/db", "names no host");
  expect_error("postgresql://u:s3cret-pw@h/db?sslmode=require&password=x", "'password' is not supported");
  expect_error("postgresql://u:s3cret-pw%zz@h/db", "percent-encoding");
}

TEST(PostgresUrlTest, ConninfoQuotesValuesAndKeepsThePasswordOutOfTheLabel) {
  const auto t = parse_postgres_url("postgres://us%27er:pa%5Css@db.example:6543/plug_board?sslmode=require");
  EXPECT_EQ(t.conninfo,
            "host='db.example' port='6543' dbname='plug_board' user='us\\'er' password='pa\\\\ss' "
            "sslmode='require' connect_timeout='10'");
  EXPECT_EQ(t.label, "PostgreSQL database db.example:6543/plug_board");
  EXPECT_EQ(t.password, "pa\\ss");
  try {
    parse_postgres_url("postgresql://u:two%20words@h/db");
    ADD_FAILURE() << "a password with a space cannot reach libpq intact";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("PGPASSWORD"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("two words"), std::string::npos) << e.what();
  }
  EXPECT_EQ(parse_postgres_url("postgresql://h/db?connect_timeout=3").conninfo,
            "host='h' port='5432' dbname='db' connect_timeout='3'");
}

TEST(SqlDialectTest, PlaceholdersAreNumberedOutsideQuotesOnPostgres) {
  // The translation every repository statement goes through on PostgreSQL (sql_db.hpp).
  EXPECT_EQ(numbered_placeholders("SELECT a FROM t WHERE b = ? AND c IN (?, ?) LIMIT ?"),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3) LIMIT $4");
  EXPECT_EQ(numbered_placeholders("SELECT '?', \"q?\" FROM t WHERE x = '\"' || CAST(? AS TEXT) || 'it''s?'"),
            "SELECT '?', \"q?\" FROM t WHERE x = '\"' || CAST($1 AS TEXT) || 'it''s?'");
  EXPECT_EQ(split_statements("CREATE TABLE a (x TEXT);\nCREATE INDEX i ON a (x);\n").size(), 2u);
}

TEST_P(StoreTest, AutomationRunsQueueOncePerEventAndTriggerPollsAreLeased) {
  // Automation runs: one per (automation, event), however often the dispatcher hands it over.
  AutomationRun run;
  run.id = "run1";
  run.automation_id = "auto1";
  run.event_id = "evt1";
  run.workspace_id = "w1";
  run.next_attempt_at = "2026-01-01T00:00:00Z";
  run.created_at = "2026-01-01T00:00:00Z";
  EXPECT_TRUE(store_->automations().enqueue(run));
  run.id = "run2";
  EXPECT_FALSE(store_->automations().enqueue(run));
  auto runs = store_->automations().claim_due("2026-01-01T00:00:01Z", "node-a", "2026-01-01T00:01:00Z", 10);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].id, "run1");
  EXPECT_TRUE(
      store_->automations().claim_due("2026-01-01T00:00:30Z", "node-b", "2026-01-01T00:02:00Z", 10).empty());
  runs = store_->automations().claim_due("2026-01-01T00:01:01Z", "node-b", "2026-01-01T00:02:00Z", 10);
  ASSERT_EQ(runs.size(), 1u);  // node-a's lease ran out
  EXPECT_EQ(runs[0].leased_by, "node-b");

  // Trigger polling: a due subscription is leased by one node; a repeated item is seen once.
  TriggerSubscription t;
  t.id = "trg1";
  t.workspace_id = "w1";
  t.project_id = "p1";
  t.connection_id = "c1";
  t.provider = "drive";
  t.trigger = "new-file";
  t.kind = "polling";
  t.name = "files";
  t.interval_seconds = 60;
  t.next_run_at = "2026-01-01T00:00:00Z";
  t.created_at = t.updated_at = "2026-01-01T00:00:00Z";
  store_->triggers().create(t);
  auto due = store_->triggers().claim_due("2026-01-01T00:00:05Z", "node-a", "2026-01-01T00:01:00Z", 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_TRUE(
      store_->triggers().claim_due("2026-01-01T00:00:06Z", "node-b", "2026-01-01T00:01:00Z", 10).empty());
  TriggerRunOutcome o;
  o.last_run_at = "2026-01-01T00:00:07Z";
  o.next_run_at = "2026-01-01T00:01:07Z";
  o.status = "active";
  o.seen_ids = {"file-1", "file-1", "file-2"};
  EXPECT_FALSE(store_->triggers().finish("trg1", "node-b", o));
  EXPECT_TRUE(store_->triggers().finish("trg1", "node-a", o));
  EXPECT_EQ(store_->triggers().unseen("trg1", {"file-1", "file-3"}), std::vector<std::string>{"file-3"});
}

// The execute path below HTTP: a real SQLite store in a temp dir and the echo test plugin.
#include "execute/execute_service.hpp"
#include "execute/call.hpp"
#include "plugins/loader.hpp"
#include "store/open_store.hpp"
#include "vault/random.hpp"

#include <gtest/gtest.h>

namespace fs = std::filesystem;
using namespace plugboard;

namespace {

class ExecuteServiceTest : public ::testing::Test {
 protected:
  ExecuteServiceTest()
      : dir_(fs::temp_directory_path() / ("pb_exec_" + vault::random_hex(6))),
        store_(store::open_store((dir_ / "db.sqlite").string())),
        vault_(vault::MasterKey::from_bytes(std::string(32, 'k'))),
        tenancy_(*store_),
        keys_(*store_),
        integrations_(*store_, vault_, registry_),
        connections_(*store_, vault_, tenancy_, registry_, integrations_),
        log_(*store_, keys_),
        service_(registry_, tenancy_, connections_, log_, http_, execute::ExecuteOptions{}) {
    plugins::Loader loader(execute::host_api());
    registry_.set(std::make_shared<plugins::Registry>(
        std::vector<std::shared_ptr<const plugins::LoadedPlugin>>{
            loader.load(fs::path(PLUGBOARD_TEST_PLUGIN_DIR) / "echo" / "echo.yaml")},
        std::vector<plugins::LoadFailure>{}));
    ws_ = tenancy_.create_workspace("ws");
    project_ = tenancy_.create_project(ws_.id, "p");
    principal_.workspace_id = ws_.id;
    principal_.operations = {"execute"};
    execute::NewConnection nc;
    nc.project_id = project_.id;
    nc.integration_id = "echo";
    nc.auth_type = "bearer";
    nc.credentials = boost::json::object{{"token", "t"}};
    conn_ = connections_.create(ws_.id, nc);
  }
  ~ExecuteServiceTest() override { fs::remove_all(dir_); }

  execute::ExecuteResult run(const std::string& action, boost::json::object params) {
    execute::ExecuteRequest r;
    r.request_id = "req_test";
    r.principal = &principal_;
    r.workspace_id = ws_.id;
    r.project_id = project_.id;
    r.connection_id = conn_.id;
    r.action = action;
    r.parameters = std::move(params);
    return service_.execute(r);
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  vault::Vault vault_;
  plugins::RegistryHandle registry_;
  auth::TenancyService tenancy_;
  auth::ApiKeyService keys_;
  execute::IntegrationService integrations_;
  execute::ConnectionService connections_;
  net::HttpClient http_;
  execute::ExecutionLog log_;
  execute::ExecuteService service_;
  store::Workspace ws_;
  store::Project project_;
  store::Connection conn_;
  auth::Principal principal_;
};

}  // namespace

TEST_F(ExecuteServiceTest, RunsAnActionAndRecordsIt) {
  auto r = run("echo", {{"message", "hi"}});
  ASSERT_TRUE(r.ok) << r.error.message;
  EXPECT_EQ(r.data(), (boost::json::value{{"message", "hi"}}));
  EXPECT_EQ(r.action_name, "Echo");
  log_.flush();
  auto rec = store_->executions().get(r.execution_id);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->status, "success");
  EXPECT_EQ(rec->action, "echo");
}

TEST_F(ExecuteServiceTest, ParametersAreCheckedAgainstTheSchema) {
  auto r = run("echo", {});
  EXPECT_EQ(r.error.code, "MISSING_REQUIRED_FIELDS");
  EXPECT_EQ(r.error.details.at("field"), "message");
  r = run("echo", {{"message", "hi"}, {"count", "three"}});
  EXPECT_EQ(r.error.code, "INVALID_REQUEST");
  EXPECT_EQ(r.error.details.at("field"), "count");
  r = run("echo", {{"message", "hi"}, {"mode", "quiet"}});
  EXPECT_EQ(r.error.details.at("keyword"), "enum");
  r = run("echo", {{"message", "hi"}, {"extra", 1}});
  EXPECT_EQ(r.error.details.at("keyword"), "additionalProperties");
  EXPECT_EQ(r.error.http_status(), 400);
}

TEST_F(ExecuteServiceTest, PluginFailuresBecomeExecutionFailed) {
  auto r = run("fail", {});
  EXPECT_EQ(r.error.code, "EXECUTION_FAILED");
  EXPECT_EQ(r.error.details.at("error_code"), "ECHO_FAILED");
  EXPECT_EQ(r.error.http_status(), 500);
  r = run("throw", {});
  EXPECT_EQ(r.error.code, "EXECUTION_FAILED");
  EXPECT_EQ(r.error.details.at("error_code"), "PLUGIN_EXCEPTION");
}

TEST_F(ExecuteServiceTest, DeadlineStopsASlowAction) {
  const auto started = std::chrono::steady_clock::now();
  auto r = run("slow", {});
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(r.error.code, "EXECUTION_FAILED");
  EXPECT_EQ(r.error.details.at("deadline_exceeded"), true);
  EXPECT_LT(took, std::chrono::seconds(5));  // the manifest's deadline is 2 s
}

TEST_F(ExecuteServiceTest, AccessAndOwnershipChecks) {
  principal_.operations = {"read"};
  EXPECT_EQ(run("echo", {{"message", "x"}}).error.code, "ACCESS_DENIED");
  principal_.operations = {"execute"};
  principal_.projects = {"another-project"};
  EXPECT_EQ(run("echo", {{"message", "x"}}).error.code, "ACCESS_DENIED");
  principal_.projects = {};
  auto other = tenancy_.create_project(ws_.id, "other");
  execute::ExecuteRequest r;
  r.principal = &principal_;
  r.workspace_id = ws_.id;
  r.project_id = other.id;
  r.connection_id = conn_.id;
  r.action = "echo";
  EXPECT_EQ(service_.execute(r).error.code, "CONNECTION_MISMATCH");
  r.connection_id = "missing";
  EXPECT_EQ(service_.execute(r).error.code, "CONNECTION_NOT_FOUND");
  EXPECT_EQ(run("nope", {}).error.code, "ACTION_NOT_FOUND");
}

TEST_F(ExecuteServiceTest, HostPassesCallInfoButNotSecretsInIt) {
  auto r = run("whoami", {});
  ASSERT_TRUE(r.ok) << r.error.message;
  const auto data = r.data();
  const auto& info = data.as_object();
  EXPECT_EQ(info.at("connection_id"), boost::json::value(conn_.id));
  EXPECT_EQ(info.at("has_credentials"), true);
  EXPECT_EQ(boost::json::serialize(info).find("\"t\""), std::string::npos);
}

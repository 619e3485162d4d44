// What operators read from the execution log: health thresholds over a window, usage, the
// rendered view (redaction, truncated payloads), cursor pages, and retention by age. A real
// SQLite store in a temp dir.
#include "execute/execution_queries.hpp"
#include "auth/service_error.hpp"
#include "execute/execution_retention.hpp"
#include "store/iso_time.hpp"
#include "store/open_store.hpp"
#include "vault/random.hpp"

#include <gtest/gtest.h>

namespace fs = std::filesystem;
using namespace plugboard;
namespace json = boost::json;

namespace {

class ExecutionQueriesTest : public ::testing::Test {
 protected:
  ExecutionQueriesTest()
      : dir_(fs::temp_directory_path() / ("pb_execq_" + vault::random_hex(6))),
        store_(store::open_store((dir_ / "db.sqlite").string())),
        vault_(vault::MasterKey::from_bytes(std::string(32, 'k'))),
        integrations_(*store_, vault_, registry_),
        queries_(*store_, registry_, integrations_) {
    store_->workspaces().create({"w1", "acme", "2026-01-01T00:00:00Z"});
    who_.workspace_id = "w1";
    who_.operations = {"admin"};
  }
  ~ExecutionQueriesTest() override { fs::remove_all(dir_); }

  // n executions of a provider, `errors` of them failed, each taking `ms`, `age` ago.
  void add(const std::string& provider, int n, int errors, std::int64_t ms, std::chrono::minutes age) {
    std::vector<store::Execution> batch;
    const auto started = store::to_iso(std::chrono::system_clock::now() - age);
    for (int i = 0; i < n; ++i) {
      store::Execution e;
      e.id = "exec_" + vault::random_hex(8);
      e.request_id = "req";
      e.workspace_id = "w1";
      e.project_id = "p1";
      e.connection_id = "c1";
      e.provider = provider;
      e.action = "act";
      e.status = i < errors ? "error" : "success";
      e.duration_ms = ms;
      e.started_at = started;
      e.parameters_json = "{}";
      e.result_json = "{}";
      batch.push_back(e);
    }
    store_->executions().insert_batch(batch);
  }

  static const json::object& entry(const json::object& health, const std::string& provider) {
    for (const auto& v : health.at("integrations").as_array())
      if (v.at("integration_id").as_string() == provider) return v.as_object();
    throw std::runtime_error("no entry for " + provider);
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  vault::Vault vault_;
  plugins::RegistryHandle registry_;
  execute::IntegrationService integrations_;
  execute::ExecutionQueries queries_;
  auth::Principal who_;
};

}  // namespace

TEST_F(ExecutionQueriesTest, HealthFollowsErrorRateAndResponseTimeInTheWindow) {
  add("slack", 10, 0, 100, std::chrono::minutes(5));
  add("slack", 10, 10, 100, std::chrono::minutes(120));  // outside the window: ignored
  add("teams", 10, 1, 100, std::chrono::minutes(5));     // 10% errors
  add("google_drive", 4, 3, 100, std::chrono::minutes(5));
  add("google_sheets", 2, 0, 3000, std::chrono::minutes(5));
  const auto h = queries_.health(who_, std::chrono::minutes(60));
  EXPECT_EQ(h.at("overall_status"), "degraded");
  const auto& slack = entry(h, "slack");
  EXPECT_EQ(slack.at("status"), "healthy");
  EXPECT_EQ(slack.at("executions"), 10);
  EXPECT_EQ(slack.at("response_time_ms"), 100);
  EXPECT_FALSE(slack.contains("issues"));
  EXPECT_TRUE(slack.at("last_check").is_string());
  const auto& teams = entry(h, "teams");
  EXPECT_EQ(teams.at("status"), "degraded");
  EXPECT_DOUBLE_EQ(teams.at("error_rate").as_double(), 0.1);
  EXPECT_EQ(teams.at("issues"), (json::array{"High error rate"}));
  EXPECT_EQ(entry(h, "google_drive").at("status"), "down");
  const auto& sheets = entry(h, "google_sheets");
  EXPECT_EQ(sheets.at("status"), "degraded");
  EXPECT_EQ(sheets.at("issues"), (json::array{"High response time"}));

  // A key narrowed to slack sees slack only, and slack alone is healthy.
  who_.integrations = {"slack"};
  const auto narrowed = queries_.health(who_, std::chrono::minutes(60));
  EXPECT_EQ(narrowed.at("integrations").as_array().size(), 1u);
  EXPECT_EQ(narrowed.at("overall_status"), "healthy");
}

TEST_F(ExecutionQueriesTest, UsageCountsPerProviderInTheRange) {
  add("slack", 5, 2, 200, std::chrono::minutes(5));
  add("teams", 1, 0, 50, std::chrono::minutes(5));
  const auto u = queries_.usage(who_, "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", std::string("slack"));
  const auto& list = u.at("usage").as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("total_requests"), 5);
  EXPECT_EQ(list[0].at("successful_requests"), 3);
  EXPECT_EQ(list[0].at("failed_requests"), 2);
  EXPECT_EQ(list[0].at("avg_response_time_ms"), 200);
  const auto none = queries_.usage(who_, "2000-01-01T00:00:00Z", "2000-01-02T00:00:00Z", std::nullopt);
  EXPECT_TRUE(none.at("usage").as_array().empty());
}

TEST_F(ExecutionQueriesTest, RenderRedactsSecretsAndMarksTruncatedPayloads) {
  store::Execution e;
  e.id = "exec_1";
  e.provider = "smtp";
  e.parameters_json = R"({"to":"a@example.com","password":"hunter2","nested":{"api_key":"k"}})";
  e.result_json = std::string(R"({"text":"abc)") + "...[truncated]";
  const auto v = execute::ExecutionQueries::render(e);
  const auto params = json::serialize(v.at("parameters"));
  EXPECT_EQ(params.find("hunter2"), std::string::npos) << params;
  EXPECT_EQ(v.at("parameters").at("to"), "a@example.com");
  EXPECT_EQ(v.at("result").at("truncated"), true);
  EXPECT_EQ(json::serialize(v.at("result")).find("abc"), std::string::npos);
  EXPECT_TRUE(v.at("error_code").is_null());
  EXPECT_TRUE(v.at("event_id").is_null());
}

TEST_F(ExecutionQueriesTest, ListPagesWithCursorsAndRefusesForeignOnes) {
  for (int i = 0; i < 5; ++i) add("slack", 1, 0, 10, std::chrono::minutes(i));
  execute::ExecutionQuery q;
  q.limit = 2;
  std::size_t seen = 0;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = queries_.list(who_, q);
    seen += page.executions.size();
    if (!page.next_cursor) break;
    q.cursor = page.next_cursor;
  }
  EXPECT_EQ(seen, 5u);
  q.cursor = "not-a-cursor";
  EXPECT_THROW(queries_.list(who_, q), ServiceError);
  q.cursor.reset();
  q.limit = 101;
  EXPECT_THROW(queries_.list(who_, q), ServiceError);
  q.limit = 10;
  q.status = "weird";
  EXPECT_THROW(queries_.list(who_, q), ServiceError);
}

TEST_F(ExecutionQueriesTest, RetentionPrunesByAgeAndZeroKeepsEverything) {
  add("slack", 3, 0, 10, std::chrono::minutes(60 * 24 * 10));  // ten days old
  add("slack", 2, 0, 10, std::chrono::minutes(60 * 24 * 1));   // one day old
  execute::ExecutionLogOptions keep;
  keep.retention_days = 0;
  EXPECT_EQ(execute::ExecutionRetention(*store_, keep).prune_once(std::chrono::system_clock::now()), 0);
  execute::ExecutionLogOptions week;
  week.retention_days = 7;
  execute::ExecutionRetention retention(*store_, week);
  EXPECT_EQ(retention.prune_once(std::chrono::system_clock::now()), 3);
  EXPECT_EQ(store_->executions().list_recent("w1", 100).size(), 2u);
  EXPECT_EQ(retention.prune_once(std::chrono::system_clock::now()), 0);
}

// The audit log: secret redaction, the {field:{old,new}} diff, the record views, and the
// service and SQLite repository (filters, workspace scoping, cursor pages) on a real file.
#include "auth/api_key_service.hpp"
#include "auth/audit_service.hpp"
#include "auth/service_error.hpp"
#include "store/iso_time.hpp"
#include "store/open_store.hpp"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <random>
#include <set>

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace plugboard;
using namespace Poco::Data::Keywords;

namespace {

const json::value kRedactedValue = auth::kRedacted;

TEST(AuditRedaction, SecretLookingNames) {
  for (const char* name :
       {"clientSecret", "client_secret", "apiKey", "api_key", "secret", "token", "accessToken",
        "refresh_token", "password", "PASSWORD", "passwd", "credentials", "key", "privateKey",
        "signingSecret", "Authorization", "cookie", "sealed_credentials", "pwd"})
    EXPECT_TRUE(auth::looks_secret(name)) << name;
  for (const char* name :
       {"name", "clientId", "tokenUri", "token_url", "apiKeyName", "apiKeyLocation", "basicTokenAuth",
        "authType", "scope", "prefix", "description", "headers", "data", "keyId", "status", ""})
    EXPECT_FALSE(auth::looks_secret(name)) << name;
}

TEST(AuditRedaction, RedactsSecretsAtAnyDepthAndEveryHeaderValue) {
  const json::object in{{"name", "Slack"},
                        {"clientSecret", "cs-123"},
                        {"apiKey", nullptr},
                        {"headers", {{"X-Team", "hv-1"}, {"Accept", "json"}}},
                        {"data", {{"region", "eu"}, {"password", "pw-9"}, {"nested", {{"token", "t-1"}}}}},
                        {"list", json::array{json::object{{"secret", "s-1"}, {"ok", 1}}}},
                        {"credentials", {{"user", "u"}, {"pass", "p"}}}};
  const json::object out = auth::redact_secrets(in);
  EXPECT_EQ(out.at("name"), "Slack");
  EXPECT_EQ(out.at("clientSecret"), kRedactedValue);
  EXPECT_TRUE(out.at("apiKey").is_null());  // "no secret" stays visible as null
  EXPECT_EQ(out.at("headers"), (json::value{{"X-Team", auth::kRedacted}, {"Accept", auth::kRedacted}}));
  EXPECT_EQ(out.at("data").at("region"), "eu");
  EXPECT_EQ(out.at("data").at("password"), kRedactedValue);
  EXPECT_EQ(out.at("data").at("nested").at("token"), kRedactedValue);
  EXPECT_EQ(out.at("list").at(0).at("secret"), kRedactedValue);
  EXPECT_EQ(out.at("list").at(0).at("ok"), 1);
  EXPECT_EQ(out.at("credentials"), kRedactedValue);
  const std::string text = json::serialize(out);
  for (const char* secret : {"cs-123", "hv-1", "pw-9", "t-1", "s-1"})
    EXPECT_EQ(text.find(secret), std::string::npos);
  EXPECT_EQ(auth::redact_secrets("headers", "raw-string"), kRedactedValue);
}

TEST(AuditChanges, CreateListsNewValuesOnly) {
  const auto c = auth::audit_changes("create", {},
                                     {{"id", "x"},
                                      {"workspaceId", "w"},
                                      {"name", "A"},
                                      {"clientSecret", "cs"},
                                      {"scope", nullptr},
                                      {"description", ""},
                                      {"sharing", json::array{}}});
  EXPECT_EQ(c, (json::object{{"name", {{"new", "A"}}}, {"clientSecret", {{"new", auth::kRedacted}}}}));
}

TEST(AuditChanges, DeleteListsOldValuesOnly) {
  const auto c = auth::audit_changes(
      "delete", {{"name", "A"}, {"token", "t"}, {"workspaceId", "w"}, {"data", json::object{}}}, {});
  EXPECT_EQ(c, (json::object{{"name", {{"old", "A"}}}, {"token", {{"old", auth::kRedacted}}}}));
}

TEST(AuditChanges, UpdateListsOnlyChangedFieldsWithSecretsRedacted) {
  const json::object before{{"name", "Old Name"},
                            {"description", "same"},
                            {"clientSecret", "sha256:aaaa"},
                            {"apiKey", nullptr},
                            {"gone", 1}};
  const json::object after{{"name", "New Name"},
                           {"description", "same"},
                           {"clientSecret", "sha256:bbbb"},
                           {"apiKey", "sha256:cccc"},
                           {"added", true}};
  const auto c = auth::audit_changes("update", before, after);
  EXPECT_EQ(c, (json::object{{"name", {{"old", "Old Name"}, {"new", "New Name"}}},
                             {"clientSecret", {{"old", auth::kRedacted}, {"new", auth::kRedacted}}},
                             {"apiKey", {{"old", nullptr}, {"new", auth::kRedacted}}},
                             {"gone", {{"old", 1}, {"new", nullptr}}},
                             {"added", {{"old", nullptr}, {"new", true}}}}));
  EXPECT_TRUE(auth::audit_changes("update", before, before).empty());
}

TEST(AuditViews, NeverHoldSecretsAndNoticeTheirChanges) {
  store::Integration i;
  i.id = "i1";
  i.workspace_id = "w1";
  i.name = "Slack Eng";
  i.sealed_client_secret = "v1:nonce:SEALED-CS";
  const auto v1 = auth::audit_view(i, json::object{{"X-Team", "header-secret-1"}});
  const std::string text = json::serialize(v1);
  EXPECT_EQ(text.find("SEALED-CS"), std::string::npos);
  EXPECT_EQ(text.find("header-secret-1"), std::string::npos);
  EXPECT_TRUE(v1.at("apiKey").is_null());
  EXPECT_EQ(v1.at("workspaceId"), "w1");

  auto j = i;
  j.sealed_client_secret = "v1:nonce:SEALED-OTHER";
  const auto v2 = auth::audit_view(j, json::object{{"X-Team", "header-secret-2"}});
  const auto c = auth::audit_changes("update", v1, v2);
  EXPECT_EQ(
      c, (json::object{
             {"clientSecret", {{"old", auth::kRedacted}, {"new", auth::kRedacted}}},
             {"headers", {{"old", {{"X-Team", auth::kRedacted}}}, {"new", {{"X-Team", auth::kRedacted}}}}}}));

  store::Connection conn;
  conn.workspace_id = "w1";
  conn.integration_id = "i1";
  conn.sealed_credentials = "v1:nonce:SEALED-CRED";
  const auto cv = auth::audit_view(conn);
  EXPECT_EQ(cv.at("integrationId"), "i1");
  EXPECT_EQ(json::serialize(auth::audit_changes("create", {}, cv)).find("SEALED-CRED"), std::string::npos);

  store::ApiKey k;
  k.name = "ci";
  k.prefix = "pb_abcd";
  k.hash = "HASH-OF-KEY";
  const auto kv = auth::audit_view(k);
  EXPECT_EQ(kv.at("prefix"), "pb_abcd");
  EXPECT_EQ(json::serialize(kv).find("HASH-OF-KEY"), std::string::npos);
}

class AuditStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("pb-audit-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
    db_path_ = dir_ / "plugboard.db";
    store_ = store::open_store("sqlite://" + db_path_.string());
    audit_ = std::make_unique<auth::AuditService>(*store_);
    store_->workspaces().create({"w1", "acme", "2026-01-01T00:00:00Z"});
    store_->workspaces().create({"w2", "other", "2026-01-01T00:00:00Z"});
    keys_ = std::make_unique<auth::ApiKeyService>(*store_);
    auto key = keys_->create("w1", "ci-bot", {"admin"}, {}, {}, std::nullopt, std::nullopt);
    alice_.key_id = key.record.id;
    alice_.workspace_id = "w1";
    prefix_ = key.record.prefix;
    mallory_.key_id = "k-other";
    mallory_.workspace_id = "w2";
  }
  void TearDown() override {
    audit_.reset();
    keys_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  store::AuditEntry entry(const std::string& id, const std::string& ws, const std::string& at,
                          const std::string& type = "integration", const std::string& resource = "i1",
                          const std::string& action = "update") {
    store::AuditEntry e;
    e.id = id;
    e.workspace_id = ws;
    e.actor_key_id = "k";
    e.actor_label = "k";
    e.action = action;
    e.resource_type = type;
    e.resource_id = resource;
    e.integration_id = type == "integration" ? resource : "";
    e.request_id = "req-" + id;
    e.created_at = at;
    return e;
  }

  std::vector<std::string> ids(const store::AuditFilter& f, std::int64_t limit = 100) {
    std::vector<std::string> out;
    for (const auto& e : audit_->list(f, std::nullopt, limit).entries) out.push_back(e.id);
    return out;
  }

  fs::path dir_;
  fs::path db_path_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<auth::ApiKeyService> keys_;
  std::unique_ptr<auth::AuditService> audit_;
  auth::Principal alice_, mallory_;
  std::string prefix_;
};

TEST_F(AuditStoreTest, RecordWritesWhoWhatAndRedactedChanges) {
  audit_->record(&alice_, "req_1", "update", "integration", "i1",
                 {{"workspaceId", "w1"}, {"name", "Old Name"}, {"clientSecret", "sha256:1"}},
                 {{"workspaceId", "w1"}, {"name", "New Name"}, {"clientSecret", "sha256:2"}});
  auto page = audit_->list({.workspace_id = "w1"}, std::nullopt, 50);
  ASSERT_EQ(page.entries.size(), 1u);
  EXPECT_FALSE(page.next_cursor);
  const auto out = auth::AuditService::render(page.entries[0]);
  EXPECT_EQ(out.at("user"), json::value("ci-bot (" + prefix_ + ")"));
  EXPECT_EQ(out.at("userKeyId"), json::value(alice_.key_id));
  EXPECT_EQ(out.at("action"), "update");
  EXPECT_EQ(out.at("resourceType"), "integration");
  EXPECT_EQ(out.at("resourceId"), "i1");
  EXPECT_EQ(out.at("requestId"), "req_1");
  EXPECT_TRUE(store::parse_iso(std::string(out.at("timestamp").as_string())));
  EXPECT_EQ(out.at("changes"),
            (json::value{{"name", {{"old", "Old Name"}, {"new", "New Name"}}},
                         {"clientSecret", {{"old", auth::kRedacted}, {"new", auth::kRedacted}}}}));
  // The integration's entries are under it; the other workspace sees none of them.
  EXPECT_EQ(audit_->list({.workspace_id = "w1", .integration_id = "i1"}, std::nullopt, 50).entries.size(),
            1u);
  EXPECT_TRUE(audit_->list({.workspace_id = "w2"}, std::nullopt, 50).entries.empty());
}

TEST_F(AuditStoreTest, UnchangedUpdateWritesNothingButCreateDeleteAndRevokeAlwaysDo) {
  const json::object v{{"name", "A"}};
  audit_->record(&alice_, "r", "update", "integration", "i1", v, v);
  EXPECT_TRUE(ids({.workspace_id = "w1"}).empty());
  audit_->record(&alice_, "r", "revoke", "api_key", "k1", {{"revoked", true}}, {{"revoked", true}});
  audit_->record(&alice_, "r", "create", "connection", "c1", {}, {{"name", "c"}, {"integrationId", "i9"}});
  EXPECT_EQ(ids({.workspace_id = "w1"}).size(), 2u);
  // A connection's entries are listed under its integration.
  EXPECT_EQ(audit_->list({.workspace_id = "w1", .integration_id = "i9"}, std::nullopt, 50)
                .entries.at(0)
                .resource_id,
            "c1");
}

TEST_F(AuditStoreTest, SystemActorTakesTheWorkspaceFromTheValues) {
  audit_->record(nullptr, "r", "update", "connection", "c1", {{"workspaceId", "w2"}, {"status", "pending"}},
                 {{"workspaceId", "w2"}, {"status", "connected"}});
  auto page = audit_->list({.workspace_id = "w2"}, std::nullopt, 50);
  ASSERT_EQ(page.entries.size(), 1u);
  EXPECT_EQ(auth::AuditService::render(page.entries[0]).at("user"), "system");
  EXPECT_TRUE(auth::AuditService::render(page.entries[0]).at("userKeyId").is_null());
  // Without either, nothing is written and the caller fails (closed).
  EXPECT_THROW(audit_->record(nullptr, "r", "create", "connection", "c2", {}, {{"name", "x"}}), ServiceError);
}

TEST_F(AuditStoreTest, AWriteFailureFailsTheCallerClosed) {
  {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session raw("SQLite", db_path_.string());
    raw << "DROP TABLE audit_log", now;
  }
  try {
    audit_->record(&alice_, "req_x", "create", "integration", "i1", {}, {{"name", "A"}});
    FAIL() << "expected a ServiceError";
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.code, "internal");
    EXPECT_NE(std::string(e.what()).find("req_x"), std::string::npos);
  }
}

TEST_F(AuditStoreTest, FiltersByTypeResourceActionAndTime) {
  auto& repo = store_->audit();
  repo.append(entry("a", "w1", "2026-01-01T10:00:00Z", "integration", "i1", "create"));
  repo.append(entry("b", "w1", "2026-01-02T10:00:00Z", "integration", "i1", "update"));
  repo.append(entry("c", "w1", "2026-01-03T10:00:00Z", "api_key", "k1", "revoke"));
  repo.append(entry("d", "w2", "2026-01-02T11:00:00Z", "integration", "i1", "update"));
  EXPECT_EQ(ids({.workspace_id = "w1"}), (std::vector<std::string>{"c", "b", "a"}));
  EXPECT_EQ(ids({.workspace_id = "w1", .resource_type = "integration"}),
            (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(ids({.workspace_id = "w1", .resource_id = "k1"}), (std::vector<std::string>{"c"}));
  EXPECT_EQ(ids({.workspace_id = "w1", .action = "update"}), (std::vector<std::string>{"b"}));
  EXPECT_EQ(ids({.workspace_id = "w1", .since = "2026-01-02T00:00:00Z"}),
            (std::vector<std::string>{"c", "b"}));
  EXPECT_EQ(ids({.workspace_id = "w1", .until = "2026-01-02T10:00:00Z"}),
            (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(ids({.workspace_id = "w2"}), (std::vector<std::string>{"d"}));
  EXPECT_THROW(audit_->list({.workspace_id = "w1", .action = "explode"}, std::nullopt, 10), ServiceError);
  EXPECT_THROW(audit_->list({.workspace_id = "w1"}, std::nullopt, 0), ServiceError);
}

TEST_F(AuditStoreTest, CursorPagesVisitEveryEntryOnceNewestFirstEvenWithinOneSecond) {
  auto& repo = store_->audit();
  std::vector<std::string> expected;
  for (int n = 0; n < 7; ++n) {
    const std::string at = n < 5 ? "2026-01-01T10:00:00Z" : "2026-01-01T10:00:0" + std::to_string(n) + "Z";
    repo.append(entry("e" + std::to_string(n), "w1", at));
    expected.insert(expected.begin(), "e" + std::to_string(n));
  }
  repo.append(entry("x", "w2", "2026-01-01T10:00:00Z"));
  std::vector<std::string> seen;
  std::optional<std::string> cursor;
  int pages = 0;
  do {
    auto page = audit_->list({.workspace_id = "w1"}, cursor, 3);
    for (const auto& e : page.entries) seen.push_back(e.id);
    cursor = page.next_cursor;
    ASSERT_LT(++pages, 10);
  } while (cursor);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, expected);
  // A page that ends exactly at the last entry says there is no next page.
  EXPECT_FALSE(audit_->list({.workspace_id = "w1"}, std::nullopt, 7).next_cursor);
  for (const char* bad : {"", "!!!", "bm9wZQ", "MjAyNnwx"})  // not base64url / "nope" / "2026|1"
    EXPECT_THROW(audit_->list({.workspace_id = "w1"}, std::string(bad), 3), ServiceError) << bad;
}

}  // namespace

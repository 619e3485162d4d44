// API keys and tenancy over a real SQLite store.
#include "auth/api_key_service.hpp"
#include "auth/tenancy_service.hpp"
#include "store/iso_time.hpp"
#include "store/open_store.hpp"
#include "vault/random.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace fs = std::filesystem;
using namespace plugboard;

namespace {

class AuthTest : public ::testing::Test {
 protected:
  AuthTest()
      : dir_(fs::temp_directory_path() / ("pb_auth_" + vault::random_hex(6))),
        store_(store::open_store((dir_ / "db.sqlite").string())),
        tenancy_(*store_),
        keys_(*store_) {}
  ~AuthTest() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  auth::TenancyService tenancy_;
  auth::ApiKeyService keys_;
};

}  // namespace

TEST_F(AuthTest, KeyIsShownOnceStoredHashedAndAuthenticates) {
  auto ws = tenancy_.create_workspace("acme");
  auto k = keys_.create(ws.id, "ci", {"read", "execute"}, {"slack"}, {}, std::nullopt, std::nullopt);
  EXPECT_EQ(k.key.rfind("pb_", 0), 0u);
  auto stored = store_->api_keys().get(k.record.id);
  ASSERT_TRUE(stored);
  EXPECT_NE(stored->hash, k.key);
  EXPECT_EQ(stored->hash.find(k.key), std::string::npos);
  auto p = keys_.authenticate(k.key);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->workspace_id, ws.id);
  EXPECT_TRUE(p->can("execute"));
  EXPECT_FALSE(p->can("admin"));
  EXPECT_TRUE(p->allows_integration("slack", "x"));
  EXPECT_FALSE(p->allows_integration("teams", "y"));
  EXPECT_FALSE(keys_.authenticate("pb_notakey"));
  EXPECT_FALSE(keys_.authenticate(""));
}

TEST_F(AuthTest, RevokedAndExpiredKeysFailAtOnce) {
  auto ws = tenancy_.create_workspace("acme");
  auto k = keys_.create(ws.id, "a", {}, {}, {}, std::nullopt, std::nullopt);
  ASSERT_TRUE(keys_.authenticate(k.key));  // now cached
  EXPECT_TRUE(keys_.revoke(ws.id, k.record.id));
  EXPECT_FALSE(keys_.authenticate(k.key));
  auto old = keys_.create(ws.id, "b", {}, {}, {}, std::string("2001-01-01T00:00:00Z"), std::nullopt);
  EXPECT_FALSE(keys_.authenticate(old.key));
  auto soon =
      keys_.create(ws.id, "c", {}, {}, {},
                   store::to_iso(std::chrono::system_clock::now() + std::chrono::hours(1)), std::nullopt);
  EXPECT_TRUE(keys_.authenticate(soon.key));
}

TEST_F(AuthTest, KeysOfOneWorkspaceAreInvisibleToAnother) {
  auto a = tenancy_.create_workspace("a");
  auto b = tenancy_.create_workspace("b");
  auto k = keys_.create(a.id, "a", {}, {}, {}, std::nullopt, std::nullopt);
  EXPECT_FALSE(keys_.get(b.id, k.record.id));
  EXPECT_FALSE(keys_.revoke(b.id, k.record.id));
  EXPECT_TRUE(keys_.authenticate(k.key));
}

TEST_F(AuthTest, BadInputIsRefused) {
  auto ws = tenancy_.create_workspace("acme");
  EXPECT_THROW(keys_.create(ws.id, "x", {"root"}, {}, {}, std::nullopt, std::nullopt), std::invalid_argument);
  EXPECT_THROW(keys_.create(ws.id, "x", {}, {}, {}, std::string("tomorrow"), std::nullopt),
               std::invalid_argument);
}

TEST_F(AuthTest, LastUsedIsCollectedForBatchWrites) {
  auto ws = tenancy_.create_workspace("acme");
  auto k = keys_.create(ws.id, "a", {}, {}, {}, std::nullopt, std::nullopt);
  keys_.authenticate(k.key);
  auto used = keys_.take_last_used();
  ASSERT_EQ(used.size(), 1u);
  EXPECT_EQ(used[0].first, k.record.id);
  EXPECT_TRUE(keys_.take_last_used().empty());
}

TEST_F(AuthTest, TenancyEnsuresAndScopesProjects) {
  auto ws = tenancy_.ensure_workspace("acme");
  EXPECT_EQ(tenancy_.ensure_workspace("acme").id, ws.id);
  EXPECT_EQ(tenancy_.ensure_workspace(ws.id).id, ws.id);
  auto p = tenancy_.ensure_project(ws.id, "main");
  EXPECT_EQ(tenancy_.ensure_project(ws.id, "main").id, p.id);
  EXPECT_EQ(tenancy_.project_workspace(p.id), ws.id);
  auto other = tenancy_.create_workspace("other");
  EXPECT_FALSE(tenancy_.project(other.id, p.id));
  EXPECT_THROW(tenancy_.create_workspace("acme"), store::ConflictError);
  EXPECT_TRUE(tenancy_.remove_project(ws.id, p.id));
  EXPECT_FALSE(tenancy_.project_workspace(p.id));
}

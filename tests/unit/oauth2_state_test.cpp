// The signed, expiring, single-use OAuth2 state, over a real SQLite store.
#include "auth/oauth2_state.hpp"
#include "store/iso_time.hpp"
#include "store/migrations.hpp"
#include "store/open_store.hpp"
#include "vault/random.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

using namespace plugboard;
using namespace plugboard::auth::oauth2;
namespace fs = std::filesystem;

namespace {

class OAuth2StateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plugboard-oauth2-state-" + vault::random_hex(8));
    store_ = store::open_store("sqlite://" + (dir_ / "plugboard.db").string());
    key_ = vault::random_bytes(32);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  static PendingAuthorization pending() {
    PendingAuthorization p;
    p.workspace_id = "ws-1";
    p.project_id = "pr-1";
    p.integration_id = "int-1";
    p.connection_name = "my \"github\" connection";
    p.redirect_uri = "https://plugboard.example/api/v2/oauth/callback";
    p.code_verifier = "v3r1f13r-with-~._-characters-0123456789abcdefghijklmnopqrstuvwxyz";
    p.created_by_key_id = "key-1";
    p.return_to = "https://app.example/done?x=1&y=2";
    return p;
  }

  std::string code_of(StateService& service, const std::string& state) {
    try {
      service.consume(state);
      return "ok";
    } catch (const StateError& e) {
      if (!state.empty()) {
        EXPECT_EQ(std::string(e.what()).find(state), std::string::npos)
            << "the message must not echo the state";
      }
      return e.code();
    }
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  std::string key_;
};

TEST_F(OAuth2StateTest, SchemaHasTheOAuthStatesMigration) {
  bool found = false;
  for (const auto& m : store::migrations()) found = found || m.version == 3;
  EXPECT_TRUE(found);
  EXPECT_EQ(store_->schema_version(), store::latest_schema_version());
}

TEST_F(OAuth2StateTest, IssuedStateIsConsumedOnceWithItsPayload) {
  StateService service(*store_, key_);
  const std::string state = service.issue(pending());
  EXPECT_EQ(state.find(pending().code_verifier), std::string::npos) << "the verifier stays on the server";
  EXPECT_LT(state.size(), 100U);

  const PendingAuthorization got = service.consume(state);
  const PendingAuthorization want = pending();
  EXPECT_EQ(got.workspace_id, want.workspace_id);
  EXPECT_EQ(got.project_id, want.project_id);
  EXPECT_EQ(got.integration_id, want.integration_id);
  EXPECT_EQ(got.connection_name, want.connection_name);
  EXPECT_EQ(got.redirect_uri, want.redirect_uri);
  EXPECT_EQ(got.code_verifier, want.code_verifier);
  EXPECT_EQ(got.created_by_key_id, want.created_by_key_id);
  EXPECT_EQ(got.return_to, want.return_to);

  EXPECT_EQ(code_of(service, state), "used_state");
  EXPECT_EQ(code_of(service, state), "used_state");
}

TEST_F(OAuth2StateTest, StatesAreDistinct) {
  StateService service(*store_, key_);
  EXPECT_NE(service.issue(pending()), service.issue(pending()));
}

TEST_F(OAuth2StateTest, TamperedForgedOrMalformedStatesAreInvalid) {
  StateService service(*store_, key_);
  const std::string state = service.issue(pending());
  const auto first = state.find('.');
  const auto second = state.find('.', first + 1);
  ASSERT_NE(second, std::string::npos);

  std::string bad_mac = state;
  bad_mac.back() = bad_mac.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(code_of(service, bad_mac), "invalid_state");

  // A later expiry under the old signature.
  const std::string expiry = state.substr(first + 1, second - first - 1);
  const std::string later =
      state.substr(0, first + 1) + std::to_string(std::stoll(expiry) + 3600) + state.substr(second);
  EXPECT_EQ(code_of(service, later), "invalid_state");

  std::string other_id = state;
  other_id[0] = other_id[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(code_of(service, other_id), "invalid_state");

  StateService other_key(*store_, vault::random_bytes(32));
  EXPECT_EQ(code_of(other_key, state), "invalid_state") << "signed with another key";

  for (const std::string& junk :
       {std::string(), std::string("abc"), std::string("a.b"), std::string("a.1.b.c"), std::string(".."),
        std::string("a.-1.b"), std::string(1000, 'a')})
    EXPECT_EQ(code_of(service, junk), "invalid_state") << junk;

  // None of the refusals used the state up.
  EXPECT_EQ(code_of(service, state), "ok");
}

TEST_F(OAuth2StateTest, ExpiredStateIsRefused) {
  StateService service(*store_, key_, std::chrono::seconds(1));
  const std::string state = service.issue(pending());
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(code_of(service, state), "expired_state");
}

TEST_F(OAuth2StateTest, RepositoryTakesOnlyUnconsumedUnexpiredStates) {
  auto& repo = store_->oauth_states();
  const auto now = std::chrono::system_clock::now();
  store::OAuthState live{"live", "{}", store::to_iso(now + std::chrono::minutes(5)), std::nullopt,
                         store::to_iso(now)};
  store::OAuthState old{"old", "{}", store::to_iso(now - std::chrono::hours(2)), std::nullopt,
                        store::to_iso(now)};
  repo.create(live);
  repo.create(old);
  EXPECT_THROW(repo.create(live), store::ConflictError);

  EXPECT_FALSE(repo.take("old", store::to_iso(now)));
  EXPECT_FALSE(repo.take("missing", store::to_iso(now)));
  const auto taken = repo.take("live", store::to_iso(now));
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->consumed_at, store::to_iso(now));
  EXPECT_FALSE(repo.take("live", store::to_iso(now)));

  EXPECT_EQ(repo.prune(store::to_iso(now - std::chrono::hours(1))), 1);
  EXPECT_FALSE(repo.get("old"));
  EXPECT_TRUE(repo.get("live"));
}

TEST_F(OAuth2StateTest, ConcurrentConsumesOfOneStateHaveExactlyOneWinner) {
  StateService service(*store_, key_);
  for (int round = 0; round < 5; ++round) {
    const std::string state = service.issue(pending());
    std::atomic<int> ok{0}, used{0}, other{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&] {
        while (!go.load()) std::this_thread::yield();
        try {
          service.consume(state);
          ++ok;
        } catch (const StateError& e) {
          (e.code() == "used_state" ? used : other)++;
        } catch (...) {
          ++other;
        }
      });
    }
    go = true;
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 1);
    EXPECT_EQ(used.load(), 7);
    EXPECT_EQ(other.load(), 0);
  }
}

TEST_F(OAuth2StateTest, RefusesShortKeys) {
  EXPECT_THROW(StateService(*store_, std::string(31, 'k')), std::invalid_argument);
}

}  // namespace

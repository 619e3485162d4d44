// Master key rotation: retired keys, the key ring on disk, and re-sealing a real SQLite store.
#include "app/rotate_command.hpp"
#include "store/open_store.hpp"
#include "vault/key_ring.hpp"
#include "vault/master_key.hpp"
#include "vault/random.hpp"
#include "vault/vault.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace plugboard;
using vault::MasterKey;
using vault::Vault;

namespace {

// Sets or clears one environment variable for a test and restores it afterwards.
class EnvGuard {
 public:
  EnvGuard(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~EnvGuard() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

MasterKey fresh_key() { return MasterKey::from_bytes(vault::random_bytes(MasterKey::kSize)); }

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

void write_key(const fs::path& p, const MasterKey& k, unsigned mode = 0600) {
  std::ofstream(p) << vault::hex_encode(k.bytes()) << "\n";
  fs::permissions(p, static_cast<fs::perms>(mode));
}

// A temp data dir with no key in the environment; removed afterwards.
class RotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pb-rotate-" + vault::random_hex(8));
    fs::create_directories(dir_);
    key_file_ = dir_ / "master.key";
    config_.data_dir = dir_;
    config_.master_key_file = key_file_;
    config_.database_url = "sqlite://" + (dir_ / "plugboard.db").string();
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  store::Store& store() {
    if (!store_) {
      store_ = store::open_store(config_.database_url);
      if (!store_->workspaces().get("ws1"))
        store_->workspaces().create({"ws1", "acme", "2026-01-01T00:00:00Z"});
    }
    return *store_;
  }

  void add_connection(const std::string& id, const std::optional<std::string>& sealed) {
    store::Connection c;
    c.id = id;
    c.workspace_id = "ws1";
    c.project_id = "p1";
    c.provider = "slack";
    c.integration_id = "slack";
    c.name = "conn " + id;
    c.auth_type = "bearer";
    c.status = "connected";
    c.sealed_credentials = sealed;
    c.created_at = c.updated_at = "2026-01-01T00:00:00Z";
    store().connections().create(c);
  }

  void add_integration(const std::string& id, const std::optional<std::string>& secret,
                       const std::optional<std::string>& api_key, const std::optional<std::string>& headers) {
    store::Integration i;
    i.id = id;
    i.workspace_id = "ws1";
    i.name = "integration " + id;
    i.slug = "slug-" + id;
    i.type = "slack";
    i.sealed_client_secret = secret;
    i.sealed_api_key = api_key;
    i.sealed_headers = headers;
    i.created_at = i.updated_at = "2026-01-01T00:00:00Z";
    store().integrations().create(i);
  }

  // Every sealed value, as (table/id/column -> value).
  std::map<std::string, std::string> sealed_values() {
    std::map<std::string, std::string> out;
    for (const auto& f : store().connections().list_sealed("", 1000))
      out["connections/" + f.id + "/" + f.column] = f.value;
    for (const auto& f : store().integrations().list_sealed("", 1000))
      out["integrations/" + f.id + "/" + f.column] = f.value;
    return out;
  }

  // Fills the store with values sealed under `key`; returns their plaintexts by field.
  std::map<std::string, std::string> seed(const Vault& v) {
    std::map<std::string, std::string> plain;
    for (int n = 0; n < 5; ++n) {
      const std::string id = "c" + std::to_string(n);
      plain["connections/" + id + "/sealed_credentials"] = R"({"token":"xoxb-)" + id + R"("})";
      add_connection(id, v.seal(plain["connections/" + id + "/sealed_credentials"]));
    }
    add_connection("c-none", std::nullopt);  // no credentials: nothing to re-seal
    plain["integrations/i1/sealed_client_secret"] = "client-secret-1";
    plain["integrations/i1/sealed_api_key"] = "api-key-1";
    plain["integrations/i1/sealed_headers"] = R"({"X-Token":"header-secret"})";
    add_integration("i1", v.seal("client-secret-1"), v.seal("api-key-1"),
                    v.seal(R"({"X-Token":"header-secret"})"));
    plain["integrations/i2/sealed_api_key"] = "api-key-2";
    add_integration("i2", std::nullopt, v.seal("api-key-2"), std::nullopt);
    add_integration("i3", std::nullopt, std::nullopt, std::nullopt);
    return plain;
  }

  fs::path dir_;
  fs::path key_file_;
  app::Config config_;
  std::unique_ptr<store::Store> store_;
  EnvGuard no_master_{MasterKey::kEnvVar, nullptr};
  EnvGuard no_retired_{vault::kRetiredKeysEnvVar, nullptr};
  EnvGuard no_new_{"PLUGBOARD_NEW_MASTER_KEY", nullptr};
};

}  // namespace

TEST(VaultRetiredKeys, RetiredKeysOpenButNeverSeal) {
  const MasterKey a = fresh_key(), b = fresh_key();
  const Vault old_vault(a);
  const std::string under_a = old_vault.seal("secret");
  const Vault rotated(b, {a});
  EXPECT_EQ(rotated.current_key_id(), b.id());
  EXPECT_EQ(rotated.open(under_a), "secret");
  const std::string under_b = rotated.seal("secret");
  EXPECT_EQ(Vault::key_id_of(under_b), b.id());
  EXPECT_EQ(Vault(b).open(under_b), "secret");
  try {
    (void)Vault(b).open(under_a);
    FAIL() << "a vault without the retired key opened its value";
  } catch (const vault::DecryptionError& e) {
    EXPECT_NE(std::string(e.what()).find(a.id()), std::string::npos) << e.what();
  }
}

TEST_F(RotationTest, KeyRingFindsRetiredKeysBesideTheFileInConfigAndEnvironment) {
  const MasterKey current = fresh_key(), beside = fresh_key(), listed = fresh_key(), hex = fresh_key(),
                  b64 = fresh_key();
  write_key(key_file_, current);
  write_key(vault::retired_key_path(key_file_, beside.id()), beside);
  EXPECT_EQ(vault::retired_key_path(key_file_, beside.id()).filename().string(),
            "master.key.retired-" + beside.id());
  write_key(dir_ / "elsewhere.key", listed);
  write_key(dir_ / "master.key.retired-x.tmp-0011", fresh_key());  // a crashed write: ignored
  const std::string env = vault::hex_encode(hex.bytes()) + " , " + vault::base64_encode(b64.bytes()) + ",";
  EnvGuard g(vault::kRetiredKeysEnvVar, env.c_str());

  const auto ring = vault::load_key_ring(key_file_, {dir_ / "elsewhere.key", key_file_}, false);
  EXPECT_EQ(ring.current.id(), current.id());
  EXPECT_FALSE(ring.current_from_env);
  std::vector<std::string> ids;
  for (const auto& k : ring.retired) ids.push_back(k.id());
  EXPECT_EQ(ids, (std::vector<std::string>{beside.id(), listed.id(), hex.id(), b64.id()}));
  ASSERT_EQ(ring.retired_sources.size(), 4u);
  EXPECT_EQ(ring.retired_sources[3], std::string(vault::kRetiredKeysEnvVar) + "[2]");
  const Vault v = ring.vault();
  EXPECT_EQ(v.open(Vault(listed).seal("x")), "x");
  EXPECT_EQ(v.open(Vault(b64).seal("y")), "y");
}

TEST_F(RotationTest, KeyRingRefusesBadRetiredKeysWithoutEchoingThem) {
  write_key(key_file_, fresh_key());
  {
    const std::string bad = std::string(63, 'a') + "g";
    EnvGuard g(vault::kRetiredKeysEnvVar, bad.c_str());
    try {
      (void)vault::load_key_ring(key_file_, {});
      FAIL() << "accepted a malformed retired key";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("PLUGBOARD_RETIRED_MASTER_KEYS: entry 1"), std::string::npos)
          << e.what();
      EXPECT_EQ(std::string(e.what()).find(bad), std::string::npos);
    }
  }
  const fs::path loose = vault::retired_key_path(key_file_, "0123456789abcdef");
  write_key(loose, fresh_key(), 0640);
  EXPECT_THROW((void)vault::load_key_ring(key_file_, {}), std::runtime_error);
  fs::remove(loose);
  EXPECT_NO_THROW((void)vault::load_key_ring(key_file_, {}));
  EXPECT_THROW((void)vault::load_key_ring(dir_ / "missing.key", {}, false), std::runtime_error);
  EXPECT_FALSE(fs::exists(dir_ / "missing.key"));
}

TEST_F(RotationTest, KeyFilesAreWrittenPrivatelyAndAtomically) {
  const MasterKey a = fresh_key(), b = fresh_key();
  vault::install_key_file(key_file_, a);
  EXPECT_EQ(mode_of(key_file_), 0600u);
  EXPECT_EQ(MasterKey::read_file(key_file_).id(), a.id());
  vault::install_key_file(key_file_, b);  // replaces
  EXPECT_EQ(MasterKey::read_file(key_file_).id(), b.id());
  EXPECT_EQ(mode_of(key_file_), 0600u);

  const fs::path kept = vault::retired_key_path(key_file_, a.id());
  vault::keep_key_file(kept, a);
  EXPECT_EQ(mode_of(kept), 0600u);
  EXPECT_NO_THROW(vault::keep_key_file(kept, a));  // same key again: fine
  EXPECT_THROW(vault::keep_key_file(kept, b), std::runtime_error);
  EXPECT_EQ(MasterKey::read_file(kept).id(), a.id());
  for (const auto& e : fs::directory_iterator(dir_))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

TEST_F(RotationTest, ResealMovesEveryValueToTheNewKeyInBatches) {
  const MasterKey a = fresh_key(), b = fresh_key();
  const auto plain = seed(Vault(a));
  const auto before = sealed_values();
  ASSERT_EQ(before.size(), 9u);
  add_connection("c9", Vault(b).seal("already-b"));  // already under the new key

  const auto report = app::reseal_all(store(), Vault(b, {a}), 2);  // small pages: paging is exercised
  EXPECT_EQ(report.tables.at("connections").resealed, 5);
  EXPECT_EQ(report.tables.at("connections").already_current, 1);
  EXPECT_EQ(report.tables.at("integrations").resealed, 4);
  EXPECT_EQ(report.tables.at("integrations").unreadable, 0);
  EXPECT_TRUE(report.unreadable.empty());

  const Vault only_b(b);
  const auto after = sealed_values();
  for (const auto& [field, text] : plain) {
    ASSERT_TRUE(after.count(field)) << field;
    EXPECT_EQ(Vault::key_id_of(after.at(field)), b.id()) << field;
    EXPECT_NE(after.at(field), before.at(field)) << field;
    EXPECT_EQ(only_b.open(after.at(field)), text) << field;
  }
  EXPECT_EQ(only_b.open(after.at("connections/c9/sealed_credentials")), "already-b");
  // Rows themselves are otherwise untouched.
  EXPECT_EQ(store().connections().get("c1")->updated_at, "2026-01-01T00:00:00Z");
  EXPECT_FALSE(store().connections().get("c-none")->sealed_credentials);
  EXPECT_FALSE(store().integrations().get("i3")->sealed_api_key);

  const auto again = app::reseal_all(store(), Vault(b, {a}));
  EXPECT_EQ(again.tables.at("connections").resealed + again.tables.at("integrations").resealed, 0);
  EXPECT_EQ(sealed_values(), after);
}

TEST_F(RotationTest, UnreadableValuesAreReportedAndLeftAlone) {
  const MasterKey a = fresh_key(), b = fresh_key(), lost = fresh_key();
  seed(Vault(a));
  const std::string orphan = Vault(lost).seal("sealed with a lost key");
  add_connection("c-lost", orphan);
  const auto report = app::reseal_all(store(), Vault(b, {a}));
  ASSERT_EQ(report.unreadable.size(), 1u);
  EXPECT_EQ(report.unreadable[0].table, "connections");
  EXPECT_EQ(report.unreadable[0].id, "c-lost");
  EXPECT_EQ(report.unreadable[0].key_id, lost.id());
  EXPECT_EQ(report.tables.at("connections").resealed, 5);
  EXPECT_EQ(store().connections().get("c-lost")->sealed_credentials, orphan);
}

TEST_F(RotationTest, ReplaceOnlyWhereTheValueIsStillTheOneRead) {
  add_connection("c1", "v1:0123456789abcdef:b2xk");
  const std::vector<store::SealedFieldUpdate> stale{
      {"c1", "sealed_credentials", "v1:0123456789abcdef:b3RoZXI=", "new"}};
  EXPECT_EQ(store().connections().replace_sealed(stale), 0);
  EXPECT_EQ(store().connections().get("c1")->sealed_credentials, "v1:0123456789abcdef:b2xk");
  const std::vector<store::SealedFieldUpdate> fresh{
      {"c1", "sealed_credentials", "v1:0123456789abcdef:b2xk", "new"}};
  EXPECT_EQ(store().connections().replace_sealed(fresh), 1);
  EXPECT_EQ(store().connections().get("c1")->sealed_credentials, "new");
  const std::vector<store::SealedFieldUpdate> wrong_column{{"c1", "name", "x", "y"}};
  EXPECT_THROW(store().connections().replace_sealed(wrong_column), store::StoreError);
  EXPECT_THROW(store().integrations().replace_sealed(wrong_column), store::StoreError);
}

TEST_F(RotationTest, RotateCommandInstallsTheNewKeyKeepsTheOldAndTwiceIsFine) {
  const MasterKey a = fresh_key();
  write_key(key_file_, a);
  const auto plain = seed(Vault(a));
  store_.reset();

  std::ostringstream out, err;
  ASSERT_EQ(app::vault_rotate(config_, {}, out, err), 0) << err.str();
  const MasterKey b = MasterKey::read_file(key_file_);
  EXPECT_NE(b.id(), a.id());
  EXPECT_EQ(mode_of(key_file_), 0600u);
  const fs::path retired_a = vault::retired_key_path(key_file_, a.id());
  EXPECT_EQ(MasterKey::read_file(retired_a).id(), a.id());
  EXPECT_EQ(mode_of(retired_a), 0600u);
  EXPECT_NE(out.str().find("old key: " + a.id()), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("new key: " + b.id()), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("connections: 5 re-sealed"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("integrations: 4 re-sealed"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find(vault::hex_encode(b.bytes())), std::string::npos);
  EXPECT_EQ(out.str().find(vault::hex_encode(a.bytes())), std::string::npos);

  // The next start reads both keys; a vault with only the new key opens everything.
  const auto ring = vault::load_key_ring(key_file_, {});
  EXPECT_EQ(ring.current.id(), b.id());
  ASSERT_EQ(ring.retired.size(), 1u);
  EXPECT_EQ(ring.retired[0].id(), a.id());
  for (const auto& [field, value] : sealed_values())
    EXPECT_EQ(Vault(b).open(value), plain.at(field)) << field;
  store_.reset();

  std::ostringstream status;
  ASSERT_EQ(app::vault_status(config_, true, status, err), 0);
  EXPECT_NE(status.str().find(R"("sealed_values_by_key":{")" + b.id() + R"(":9})"), std::string::npos)
      << status.str();

  // Again: a third key; both older keys stay on disk, and the newest alone opens everything.
  std::ostringstream out2;
  ASSERT_EQ(app::vault_rotate(config_, {}, out2, err), 0) << err.str();
  const MasterKey c = MasterKey::read_file(key_file_);
  EXPECT_NE(c.id(), b.id());
  EXPECT_TRUE(fs::exists(retired_a));
  EXPECT_TRUE(fs::exists(vault::retired_key_path(key_file_, b.id())));
  for (const auto& [field, value] : sealed_values())
    EXPECT_EQ(Vault(c).open(value), plain.at(field)) << field;
}

TEST_F(RotationTest, RotateTakesTheNewKeyFromAFileOrTheEnvironment) {
  const MasterKey a = fresh_key(), b = fresh_key(), c = fresh_key();
  write_key(key_file_, a);
  seed(Vault(a));
  store_.reset();
  write_key(dir_ / "next.key", b);
  std::ostringstream out, err;
  app::RotateOptions o;
  o.new_key_file = dir_ / "next.key";
  ASSERT_EQ(app::vault_rotate(config_, o, out, err), 0) << err.str();
  EXPECT_EQ(MasterKey::read_file(key_file_).id(), b.id());

  const std::string c_hex = vault::hex_encode(c.bytes());
  EnvGuard g("PLUGBOARD_NEW_MASTER_KEY", c_hex.c_str());
  ASSERT_EQ(app::vault_rotate(config_, {}, out, err), 0) << err.str();
  EXPECT_EQ(MasterKey::read_file(key_file_).id(), c.id());
  for (const auto& [field, value] : sealed_values()) EXPECT_EQ(Vault::key_id_of(value), c.id()) << field;
}

TEST_F(RotationTest, RotateRefusesUnreadableValuesAndChangesNothingUnlessForced) {
  const MasterKey a = fresh_key(), lost = fresh_key();
  write_key(key_file_, a);
  seed(Vault(a));
  add_connection("c-lost", Vault(lost).seal("gone"));
  const auto before = sealed_values();
  store_.reset();

  std::ostringstream out, err;
  EXPECT_EQ(app::vault_rotate(config_, {}, out, err), 1);
  EXPECT_NE(err.str().find("connections c-lost sealed_credentials (sealed with key " + lost.id() + ")"),
            std::string::npos)
      << err.str();
  EXPECT_EQ(MasterKey::read_file(key_file_).id(), a.id());
  EXPECT_FALSE(fs::exists(vault::retired_key_path(key_file_, a.id())));
  EXPECT_EQ(sealed_values(), before);
  store_.reset();

  app::RotateOptions force;
  force.force_skip_unreadable = true;
  std::ostringstream out2, err2;
  ASSERT_EQ(app::vault_rotate(config_, force, out2, err2), 0) << err2.str();
  const MasterKey b = MasterKey::read_file(key_file_);
  EXPECT_NE(b.id(), a.id());
  const auto after = sealed_values();
  EXPECT_EQ(after.at("connections/c-lost/sealed_credentials"),
            before.at("connections/c-lost/sealed_credentials"));
  EXPECT_EQ(Vault::key_id_of(after.at("connections/c0/sealed_credentials")), b.id());
}

TEST_F(RotationTest, WithTheKeyInTheEnvironmentRotateNeedsTheNewKeyAndWritesNoFiles) {
  const MasterKey a = fresh_key(), b = fresh_key();
  const std::string a_hex = vault::hex_encode(a.bytes()), b_hex = vault::hex_encode(b.bytes());
  EnvGuard g(MasterKey::kEnvVar, a_hex.c_str());
  seed(Vault(a));
  store_.reset();
  std::ostringstream out, err;
  EXPECT_EQ(app::vault_rotate(config_, {}, out, err), 2);
  EXPECT_NE(err.str().find("PLUGBOARD_NEW_MASTER_KEY"), std::string::npos) << err.str();

  EnvGuard n("PLUGBOARD_NEW_MASTER_KEY", b_hex.c_str());
  ASSERT_EQ(app::vault_rotate(config_, {}, out, err), 0) << err.str();
  EXPECT_FALSE(fs::exists(key_file_));
  EXPECT_NE(out.str().find("PLUGBOARD_RETIRED_MASTER_KEYS"), std::string::npos) << out.str();
  for (const auto& [field, value] : sealed_values()) EXPECT_EQ(Vault::key_id_of(value), b.id()) << field;
}

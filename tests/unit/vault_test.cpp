#include "vault/vault.hpp"
#include "vault/api_key.hpp"
#include "vault/master_key.hpp"
#include "vault/random.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cctype>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace plugboard::vault;

namespace {

// Sets or clears PLUGBOARD_MASTER_KEY for one test and restores the previous value.
class EnvGuard {
 public:
  explicit EnvGuard(const char* value) {
    if (const char* old = std::getenv(MasterKey::kEnvVar)) old_ = old;
    if (value) {
      ::setenv(MasterKey::kEnvVar, value, 1);
    } else {
      ::unsetenv(MasterKey::kEnvVar);
    }
  }
  ~EnvGuard() {
    if (old_) {
      ::setenv(MasterKey::kEnvVar, old_->c_str(), 1);
    } else {
      ::unsetenv(MasterKey::kEnvVar);
    }
  }

 private:
  std::optional<std::string> old_;
};

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("pb-vault-" + random_hex(8))) {
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_mode & 0777;
}

MasterKey test_key(char fill) { return MasterKey::from_bytes(std::string(32, fill)); }

}  // namespace

TEST(VaultRandom, BytesHexUuid) {
  EXPECT_EQ(random_bytes(0).size(), 0u);
  EXPECT_EQ(random_bytes(33).size(), 33u);
  EXPECT_NE(random_bytes(16), random_bytes(16));
  const std::string h = random_hex(8);
  EXPECT_EQ(h.size(), 16u);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos);

  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string u = new_uuid();
    ASSERT_EQ(u.size(), 36u);
    EXPECT_EQ(u[8], '-');
    EXPECT_EQ(u[13], '-');
    EXPECT_EQ(u[18], '-');
    EXPECT_EQ(u[23], '-');
    EXPECT_EQ(u[14], '4');
    EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos) << u;
    EXPECT_EQ(u.find_first_not_of("0123456789abcdef-"), std::string::npos) << u;
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(VaultRandom, Sha256KnownAnswer) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(VaultBase64, KnownVectorsAndRoundTrip) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_decode("Zm9vYg=="), "foob");
  EXPECT_EQ(base64_decode("Zm9vYg"), "foob");  // unpadded is accepted
  for (std::size_t n = 0; n < 70; ++n) {
    const std::string b = random_bytes(n);
    EXPECT_EQ(base64_decode(base64_encode(b)), b) << n;
  }
}

TEST(VaultBase64, RejectsBadInput) {
  for (const char* bad :
       {"Zm9v!", "Z", "Zm9vY", "Zg=", "Z===", "====", "Zm=v", "Zh==", "Zm9 v", "Zm9vYg==="}) {
    EXPECT_THROW(base64_decode(bad), std::invalid_argument) << bad;
  }
}

TEST(VaultSeal, RoundTripAndFreshNonce) {
  const Vault v(test_key('k'));
  for (const std::string& plain :
       {std::string(), std::string("{\"token\":\"s3cret\"}"), random_bytes(1000)}) {
    const std::string a = v.seal(plain);
    const std::string b = v.seal(plain);
    EXPECT_NE(a, b);  // fresh nonce each time
    EXPECT_EQ(v.open(a), plain);
    EXPECT_EQ(v.open(b), plain);
    EXPECT_EQ(a.rfind("v1:" + v.current_key_id() + ":", 0), 0u) << a;
    EXPECT_EQ(a.find('\n'), std::string::npos);
    if (!plain.empty()) {
      EXPECT_EQ(a.find(plain), std::string::npos);
    }
  }
}

TEST(VaultSeal, TamperedValueFailsAuthentication) {
  const Vault v(test_key('k'));
  const std::string sealed = v.seal("the plaintext");
  const std::size_t body = sealed.rfind(':') + 1;
  std::string blob = base64_decode(sealed.substr(body));
  for (std::size_t i = 0; i < blob.size(); ++i) {
    std::string t = blob;
    t[i] = static_cast<char>(t[i] ^ 0x01);
    try {
      (void)v.open(sealed.substr(0, body) + base64_encode(t));
      ADD_FAILURE() << "tampered byte " << i << " was accepted";
    } catch (const DecryptionError& e) {
      EXPECT_STREQ(e.what(), "credentials failed authentication");
    }
  }
}

TEST(VaultSeal, WrongKeyNamesBothIds) {
  const Vault a(test_key('a'));
  const Vault b(test_key('b'));
  const std::string sealed = a.seal("x");
  try {
    (void)b.open(sealed);
    FAIL() << "opened with the wrong key";
  } catch (const DecryptionError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(a.current_key_id()), std::string::npos) << msg;
    EXPECT_NE(msg.find(b.current_key_id()), std::string::npos) << msg;
  }
}

TEST(VaultSeal, KeyIdIsAuthenticated) {
  // Relabelling a value with another key's id must not decrypt under that key.
  const MasterKey ka = test_key('a');
  const MasterKey kb = test_key('b');
  const Vault both(kb, {ka});
  std::string sealed = Vault(ka).seal("x");
  sealed.replace(3, 16, kb.id());
  EXPECT_THROW((void)both.open(sealed), DecryptionError);
}

TEST(VaultSeal, RetiredKeyStillOpens) {
  const MasterKey old_key = test_key('o');
  const std::string sealed = Vault(old_key).seal("legacy");
  const Vault rotated(test_key('n'), {old_key});
  EXPECT_EQ(rotated.open(sealed), "legacy");
  EXPECT_EQ(Vault::key_id_of(sealed), old_key.id());
  EXPECT_EQ(Vault::key_id_of(rotated.seal("new")), rotated.current_key_id());
  EXPECT_EQ(Vault::key_id_of("junk"), "");
}

TEST(VaultSeal, MalformedValues) {
  const Vault v(test_key('k'));
  const std::string id = v.current_key_id();
  const std::vector<std::string> bad_values = {
      "",
      "junk",
      "v2:" + id + ":AAAA",
      "v1:" + id,
      "v1:" + id + ":",
      "v1:" + id + ":not base64!",
      "v1:" + id + ":" + base64_encode(std::string(27, 'x')),  // shorter than nonce + tag
      "v1:XYZ:AAAA",
      "v1:" + id + "AAAA"};
  for (const std::string& bad : bad_values) {
    try {
      (void)v.open(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const DecryptionError& e) {
      EXPECT_STREQ(e.what(), "malformed sealed value") << bad;
    }
  }
}

TEST(VaultMasterKey, IdIsShortHashAndBytesChecked) {
  const MasterKey k = test_key('z');
  EXPECT_EQ(k.id(), sha256_hex(std::string(32, 'z')).substr(0, 16));
  EXPECT_THROW(MasterKey::from_bytes("short"), std::invalid_argument);
  EXPECT_THROW(MasterKey::from_bytes(std::string(33, 'x')), std::invalid_argument);
}

TEST(VaultMasterKey, KeyFileCreatedPrivateAndReused) {
  const EnvGuard env(nullptr);
  const TempDir dir;
  const fs::path file = dir.path() / "nested" / "data" / "master.key";
  const MasterKey first = MasterKey::load(file);
  ASSERT_TRUE(fs::exists(file));
  EXPECT_EQ(mode_of(file), 0600u);
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.size(), 64u);
  EXPECT_EQ(line.find_first_not_of("0123456789abcdef"), std::string::npos);

  const MasterKey second = MasterKey::load(file);
  EXPECT_EQ(first.id(), second.id());
  EXPECT_EQ(first.bytes(), second.bytes());
  EXPECT_EQ(Vault(second).open(Vault(first).seal("persisted")), "persisted");
  // No temporary files are left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(file.parent_path()), fs::directory_iterator()), 1);
}

TEST(VaultMasterKey, WorldReadableKeyFileRefused) {
  const EnvGuard env(nullptr);
  const TempDir dir;
  const fs::path file = dir.path() / "master.key";
  (void)MasterKey::load(file);
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  try {
    (void)MasterKey::load(file);
    FAIL() << "accepted a world-readable key file";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(file.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("chmod 600"), std::string::npos) << msg;
  }
  ASSERT_EQ(::chmod(file.c_str(), 0640), 0);
  EXPECT_THROW((void)MasterKey::load(file), std::runtime_error);
}

TEST(VaultMasterKey, CorruptKeyFileRefused) {
  const EnvGuard env(nullptr);
  const TempDir dir;
  const fs::path file = dir.path() / "master.key";
  {
    std::ofstream out(file);
    out << "not-a-key\n";
  }
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  try {
    (void)MasterKey::load(file);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).find("not-a-key"), std::string::npos);
  }
}

TEST(VaultMasterKey, EnvHexAndBase64) {
  const TempDir dir;
  const fs::path file = dir.path() / "unused.key";
  const std::string raw = random_bytes(32);
  const MasterKey expected = MasterKey::from_bytes(raw);
  {
    const EnvGuard env(hex_encode(raw).c_str());
    EXPECT_EQ(MasterKey::load(file).id(), expected.id());
  }
  {
    std::string upper = hex_encode(raw);
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const EnvGuard env((upper + "\n").c_str());
    EXPECT_EQ(MasterKey::load(file).id(), expected.id());
  }
  {
    const EnvGuard env(base64_encode(raw).c_str());
    EXPECT_EQ(MasterKey::load(file).id(), expected.id());
  }
  EXPECT_FALSE(fs::exists(file));  // the env var wins; no key file is written
}

TEST(VaultMasterKey, BadEnvValueIsNotEchoed) {
  const TempDir dir;
  const std::string secretish = "SuperSecretValue0123456789";
  for (const std::string& bad :
       {secretish, hex_encode(std::string(31, 's')) + "zz", base64_encode(std::string(31, 's')),
        base64_encode(std::string(33, 's')), std::string()}) {
    const EnvGuard env(bad.c_str());
    try {
      (void)MasterKey::load(dir.path() / "k");
      ADD_FAILURE() << "accepted a bad key";
    } catch (const std::runtime_error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("PLUGBOARD_MASTER_KEY"), std::string::npos) << msg;
      if (!bad.empty()) {
        EXPECT_EQ(msg.find(bad), std::string::npos) << msg;
      }
      EXPECT_EQ(msg.find("SuperSecret"), std::string::npos) << msg;
    }
  }
}

TEST(VaultApiKey, FormatUniquenessAndHash) {
  std::set<std::string> keys;
  for (int i = 0; i < 200; ++i) {
    const GeneratedKey g = generate_api_key();
    ASSERT_EQ(g.key.size(), 43u);
    EXPECT_EQ(g.key.rfind("pb_", 0), 0u);
    EXPECT_EQ(g.key.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 3),
              std::string::npos);
    EXPECT_EQ(g.prefix, g.key.substr(0, 10));
    EXPECT_EQ(g.hash, sha256_hex(g.key));
    EXPECT_EQ(g.hash, hash_api_key(g.key));
    EXPECT_TRUE(looks_like_api_key(g.key));
    keys.insert(g.key);
  }
  EXPECT_EQ(keys.size(), 200u);
}

TEST(VaultApiKey, LooksLikeRejectsJunk) {
  const std::string good = generate_api_key().key;
  EXPECT_FALSE(looks_like_api_key(""));
  EXPECT_FALSE(looks_like_api_key("pb_"));
  EXPECT_FALSE(looks_like_api_key(good.substr(0, 42)));
  EXPECT_FALSE(looks_like_api_key(good + "x"));
  EXPECT_FALSE(looks_like_api_key("xx_" + good.substr(3)));
  std::string bad = good;
  bad[20] = '-';
  EXPECT_FALSE(looks_like_api_key(bad));
}

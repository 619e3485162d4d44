#include "vault/vault.hpp"

#include "vault/random.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>

namespace plugboard::vault {

namespace {

constexpr std::string_view kVersion = "v1";
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;
constexpr std::size_t kKeyIdSize = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherCtx new_ctx() {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) throw std::runtime_error("vault: cannot allocate a cipher context");
  return ctx;
}

const unsigned char* u8(const char* p) { return reinterpret_cast<const unsigned char*>(p); }
unsigned char* u8(char* p) { return reinterpret_cast<unsigned char*>(p); }

// "v1:<id>": the authenticated header of a sealed value.
std::string header(std::string_view key_id) {
  std::string h(kVersion);
  h += ':';
  h += key_id;
  return h;
}

struct Parsed {
  std::string_view key_id;
  std::string_view payload;  // base64
};

bool parse(std::string_view sealed, Parsed& out) {
  if (sealed.size() < kVersion.size() + kKeyIdSize + 2) return false;
  if (sealed.substr(0, kVersion.size()) != kVersion || sealed[kVersion.size()] != ':') return false;
  out.key_id = sealed.substr(kVersion.size() + 1, kKeyIdSize);
  for (const char c : out.key_id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  const std::size_t colon = kVersion.size() + 1 + kKeyIdSize;
  if (sealed[colon] != ':') return false;
  out.payload = sealed.substr(colon + 1);
  return true;
}

}  // namespace

Vault::Vault(MasterKey key) : Vault(std::move(key), {}) {}

Vault::Vault(MasterKey current, std::vector<MasterKey> retired) : current_id_(current.id()) {
  for (auto& k : retired) {
    std::string id = k.id();
    keys_.emplace(std::move(id), std::move(k));
  }
  keys_.insert_or_assign(current_id_, std::move(current));
}

std::string Vault::seal(std::string_view plaintext) const {
  const MasterKey& key = keys_.at(current_id_);
  const std::string aad = header(current_id_);
  const std::string nonce = random_bytes(kNonceSize);

  std::string blob(kNonceSize + plaintext.size() + kTagSize, '\0');
  blob.replace(0, kNonceSize, nonce);
  auto ctx = new_ctx();
  int len = 0;
  int total = 0;
  bool ok = EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, u8(key.bytes().data()), u8(nonce.data())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, u8(aad.data()), static_cast<int>(aad.size())) == 1;
  ok = ok && EVP_EncryptUpdate(ctx.get(), u8(blob.data() + kNonceSize), &len, u8(plaintext.data()),
                               static_cast<int>(plaintext.size())) == 1;
  total = len;
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), u8(blob.data() + kNonceSize + total), &len) == 1;
  total += len;
  ok = ok && static_cast<std::size_t>(total) == plaintext.size() &&
       EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, blob.data() + kNonceSize + total) == 1;
  if (!ok) {
    OPENSSL_cleanse(blob.data(), blob.size());
    throw std::runtime_error("vault: AES-256-GCM encryption failed");
  }
  return aad + ':' + base64_encode(blob);
}

std::string Vault::open(std::string_view sealed) const {
  Parsed p;
  if (!parse(sealed, p)) throw DecryptionError("malformed sealed value");
  const auto it = keys_.find(p.key_id);
  if (it == keys_.end()) {
    throw DecryptionError("credentials were sealed with key " + std::string(p.key_id) +
                          ", the current master key is " + current_id_);
  }
  std::string blob;
  try {
    blob = base64_decode(p.payload);
  } catch (const std::invalid_argument&) {
    throw DecryptionError("malformed sealed value");
  }
  if (blob.size() < kNonceSize + kTagSize) throw DecryptionError("malformed sealed value");

  const std::string aad = header(p.key_id);
  const std::size_t n = blob.size() - kNonceSize - kTagSize;
  std::string plain(n, '\0');
  auto ctx = new_ctx();
  int len = 0;
  bool ok =
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, u8(it->second.bytes().data()), u8(blob.data())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, u8(aad.data()), static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), u8(plain.data()), &len, u8(blob.data() + kNonceSize),
                        static_cast<int>(n)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, blob.data() + kNonceSize + n) == 1;
  // The tag is checked only at Final; until it passes, plain is unauthenticated and is wiped.
  int final_len = 0;
  ok = ok && EVP_DecryptFinal_ex(ctx.get(), u8(plain.data()) + len, &final_len) == 1;
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    throw DecryptionError("credentials failed authentication");
  }
  return plain;
}

std::string Vault::key_id_of(std::string_view sealed) {
  Parsed p;
  return parse(sealed, p) ? std::string(p.key_id) : std::string();
}

}  // namespace plugboard::vault

#include "vault/api_key.hpp"

#include "vault/random.hpp"

namespace plugboard::vault {

namespace {

constexpr std::string_view kPrefix = "pb_";
constexpr std::size_t kBodyLength = 40;
constexpr std::size_t kShownLength = 10;
constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

bool is_base62(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

}  // namespace

GeneratedKey generate_api_key() {
  GeneratedKey g;
  g.key.reserve(kPrefix.size() + kBodyLength);
  g.key = kPrefix;
  // Rejection sampling: bytes >= 248 (= 4 * 62) are dropped so every character is uniform.
  while (g.key.size() < kPrefix.size() + kBodyLength) {
    for (const char c : random_bytes(kBodyLength)) {
      const auto b = static_cast<unsigned char>(c);
      if (b >= 248) continue;
      g.key.push_back(kBase62[b % 62]);
      if (g.key.size() == kPrefix.size() + kBodyLength) break;
    }
  }
  g.prefix = g.key.substr(0, kShownLength);
  g.hash = hash_api_key(g.key);
  return g;
}

std::string hash_api_key(std::string_view key) { return sha256_hex(key); }

bool looks_like_api_key(std::string_view candidate) {
  if (candidate.size() != kPrefix.size() + kBodyLength || candidate.substr(0, kPrefix.size()) != kPrefix) {
    return false;
  }
  for (const char c : candidate.substr(kPrefix.size())) {
    if (!is_base62(c)) return false;
  }
  return true;
}

}  // namespace plugboard::vault

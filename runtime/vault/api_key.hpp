// API keys: random, shown to the user once, stored only as a SHA-256 hash. A plain hash (no
// salt, no KDF) is enough because the key carries 238 bits of randomness, and it lets the
// request path find a key with one indexed lookup.
#pragma once

#include <string>
#include <string_view>

namespace plugboard::vault {

struct GeneratedKey {
  std::string key;     // "pb_" + 40 base62 characters; show once, never store
  std::string prefix;  // first 10 characters of key, safe to show and store
  std::string hash;    // hash_api_key(key), what the store keeps
};

GeneratedKey generate_api_key();

// Lowercase hex SHA-256 of the key.
std::string hash_api_key(std::string_view key);

// Cheap format check ("pb_" + 40 base62 characters) to reject junk before hashing or lookup.
bool looks_like_api_key(std::string_view candidate);

}  // namespace plugboard::vault

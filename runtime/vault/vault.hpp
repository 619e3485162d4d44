// Seals credentials with AES-256-GCM under the master key. A sealed value is printable text,
// "v1:<key id>:<base64(nonce | ciphertext | tag)>", so it fits any text column; the version
// and key id are authenticated (AAD), so they cannot be swapped. Several keys can be held,
// by id, so a rotated-out key still opens what it sealed while the current one seals.
// All methods are const and share no cipher context: safe from any number of threads.
#pragma once

#include "vault/master_key.hpp"

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace plugboard::vault {

// open() never returns garbage: anything it cannot authenticate ends here. The message names
// key ids at most, never key material or plaintext.
struct DecryptionError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Vault {
 public:
  explicit Vault(MasterKey key);
  // current seals; retired keys only open values they sealed earlier (key rotation).
  Vault(MasterKey current, std::vector<MasterKey> retired);

  std::string seal(std::string_view plaintext) const;
  std::string open(std::string_view sealed) const;

  const std::string& current_key_id() const { return current_id_; }
  // Key id a sealed value names, or "" if it is not a v1 sealed value. Lets a rotation job
  // find values still sealed with a retired key.
  static std::string key_id_of(std::string_view sealed);

 private:
  std::map<std::string, MasterKey, std::less<>> keys_;
  std::string current_id_;
};

}  // namespace plugboard::vault

// The master key that seals credentials. It comes from PLUGBOARD_MASTER_KEY or from a key
// file that Plugboard creates on first run. The key bytes never reach a log, an exception
// message or a response; only id() may be shown.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace plugboard::vault {

class MasterKey {
 public:
  static constexpr std::size_t kSize = 32;  // AES-256
  static constexpr const char* kEnvVar = "PLUGBOARD_MASTER_KEY";

  // PLUGBOARD_MASTER_KEY wins when set (64 hex characters, or base64 of exactly 32 bytes).
  // Otherwise key_file is read (64 hex characters and a newline), or created with mode 0600
  // (parents included) when it does not exist. Throws std::runtime_error, naming the source
  // and what to do, for a malformed key or a key file readable by group or others.
  static MasterKey load(const std::filesystem::path& key_file);

  // raw32 must hold exactly 32 bytes; throws std::invalid_argument otherwise.
  static MasterKey from_bytes(std::string raw32);

  // Reads an existing key file with the same checks as load() (mode, regular file, 64 hex
  // characters), never creating it. Throws std::runtime_error naming the file.
  static MasterKey read_file(const std::filesystem::path& key_file);

  // 64 hex characters or the base64 encoding of exactly 32 bytes, surrounding whitespace
  // ignored; nullopt for anything else (callers word the error, without echoing the text).
  static std::optional<MasterKey> parse(std::string_view text);

  MasterKey(const MasterKey&) = default;
  MasterKey(MasterKey&&) noexcept = default;
  MasterKey& operator=(const MasterKey&) = default;
  MasterKey& operator=(MasterKey&&) noexcept = default;
  ~MasterKey();  // wipes the key bytes

  // First 16 hex characters of SHA-256(key): names the key in sealed values so a rotated key
  // can still open what the old one sealed. Safe to log.
  const std::string& id() const { return id_; }

  // The raw key, for the cipher only.
  const std::string& bytes() const { return key_; }

 private:
  explicit MasterKey(std::string raw32);
  std::string key_;
  std::string id_;
};

}  // namespace plugboard::vault

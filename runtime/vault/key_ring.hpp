// The master keys a process holds: the current one, which seals, and retired ones, which only
// open what they sealed before a rotation. Also the on-disk steps of a rotation: keeping the
// old key beside the key file as "<key_file>.retired-<id>" (found again on every start) and
// swapping in the new key file atomically. Key bytes never reach a message; ids and paths do.
#pragma once

#include "vault/master_key.hpp"
#include "vault/vault.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace plugboard::vault {

// Comma-separated keys (each 64 hex characters or base64 of 32 bytes) that stay readable.
inline constexpr const char* kRetiredKeysEnvVar = "PLUGBOARD_RETIRED_MASTER_KEYS";

struct KeyRing {
  MasterKey current;
  std::string current_source;  // "PLUGBOARD_MASTER_KEY" or the key file's path
  bool current_from_env = false;
  std::vector<MasterKey> retired;            // never the current key, no duplicates
  std::vector<std::string> retired_sources;  // where each retired key came from, same order

  // A Vault that seals with current and opens with every key of the ring.
  Vault vault() const { return Vault(current, retired); }
};

// The current key as MasterKey::load finds it (when create_missing is false, a missing key
// file is an error instead of being created), and retired keys from, in order:
//   1. files named "<key_file name>.retired-<anything>" in key_file's folder,
//   2. retired_files (vault.retired_key_files in the configuration),
//   3. PLUGBOARD_RETIRED_MASTER_KEYS.
// Retired key files get the key file's checks (mode 0600 or stricter, 64 hex characters).
// Throws std::runtime_error naming the file or variable (never a key) for anything invalid.
KeyRing load_key_ring(const std::filesystem::path& key_file,
                      const std::vector<std::filesystem::path>& retired_files, bool create_missing = true);

// "<key_file>.retired-<key_id>", in key_file's folder.
std::filesystem::path retired_key_path(const std::filesystem::path& key_file, const std::string& key_id);

// Writes key to path (mode 0600) through a private temporary file, fsync and rename, then
// fsyncs the folder: a reader sees the previous file or the new one, never a partial one.
// Replaces whatever was at path.
void install_key_file(const std::filesystem::path& path, const MasterKey& key);

// Writes key to path (mode 0600) unless a file is already there; an existing file must hold
// the same key (otherwise std::runtime_error). Never replaces a file.
void keep_key_file(const std::filesystem::path& path, const MasterKey& key);

}  // namespace plugboard::vault

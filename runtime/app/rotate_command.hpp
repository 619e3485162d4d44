// `plugboard vault rotate|status`: master key rotation. Rotation keeps every stored secret
// readable at every step: the new key reaches disk before anything is sealed with it, the old
// key stays on disk as a retired key file, and each value is replaced only after it was
// opened and sealed again, and only if it has not changed since it was read.
#pragma once

#include "app/config.hpp"
#include "store/repositories.hpp"
#include "vault/vault.hpp"

#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace plugboard::app {

// A sealed value that none of the known keys opens. Names the row, never the value.
struct UnreadableValue {
  std::string table;
  std::string id;
  std::string column;
  std::string key_id;  // the id the value names; "" if it is not a sealed value at all
};

struct TableCounts {
  std::int64_t resealed = 0;           // now sealed under the new key
  std::int64_t already_current = 0;    // were sealed under the new key before
  std::int64_t unreadable = 0;         // left as they were
  std::int64_t changed_meanwhile = 0;  // rewritten by someone else between read and write; left as is
};

struct ResealReport {
  std::map<std::string, TableCounts> tables;  // "connections", "integrations"
  std::vector<UnreadableValue> unreadable;
};

// Every sealed value in the store, counted by the key id it names (and per table). With
// check set, each is also opened with `vault` and failures are listed; nothing is written.
struct SealedInventory {
  std::map<std::string, std::int64_t> by_key;
  std::map<std::string, std::int64_t> by_table;
  std::vector<UnreadableValue> unreadable;
};
SealedInventory take_inventory(store::Store& store, const vault::Vault& vault, bool check);

// Re-seals every sealed value that is not under vault.current_key_id(): opens it with the
// key it names (current or retired), seals the plaintext with the current key, checks the new
// value opens to the same plaintext, and writes pages of `batch_size` rows in one transaction
// each, every field only if it still holds what was opened. Values that cannot be opened are
// left untouched and reported.
ResealReport reseal_all(store::Store& store, const vault::Vault& vault, std::int64_t batch_size = 100);

struct RotateOptions {
  std::optional<std::filesystem::path> new_key_file;  // --new-key-file
  bool force_skip_unreadable = false;                 // --force-skip-unreadable
};

// The commands; output is ids, counts and paths only. Return the process exit code.
int vault_rotate(const Config& config, const RotateOptions& options, std::ostream& out, std::ostream& err);
int vault_status(const Config& config, bool json, std::ostream& out, std::ostream& err);

}  // namespace plugboard::app

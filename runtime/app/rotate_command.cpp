#include "app/rotate_command.hpp"

#include "store/open_store.hpp"
#include "vault/key_ring.hpp"
#include "vault/random.hpp"

#include <openssl/crypto.h>
#include <boost/json.hpp>

#include <cstdlib>
#include <functional>
#include <ostream>
#include <stdexcept>

namespace plugboard::app {
namespace {

constexpr const char* kNewKeyEnvVar = "PLUGBOARD_NEW_MASTER_KEY";
// A few passes pick up values a still-running server rewrote under the old key meanwhile.
constexpr int kResealPasses = 3;

// The tables that hold sealed columns, behind one shape.
struct SealedTable {
  std::string name;
  std::function<std::vector<store::SealedField>(const std::string&, std::int64_t)> list;
  std::function<std::int64_t(const std::vector<store::SealedFieldUpdate>&)> replace;
};

std::vector<SealedTable> sealed_tables(store::Store& s) {
  return {
      {"connections",
       [&s](const std::string& after, std::int64_t n) { return s.connections().list_sealed(after, n); },
       [&s](const std::vector<store::SealedFieldUpdate>& u) { return s.connections().replace_sealed(u); }},
      {"integrations",
       [&s](const std::string& after, std::int64_t n) { return s.integrations().list_sealed(after, n); },
       [&s](const std::vector<store::SealedFieldUpdate>& u) { return s.integrations().replace_sealed(u); }},
      {"webhooks",
       [&s](const std::string& after, std::int64_t n) { return s.webhooks().list_sealed(after, n); },
       [&s](const std::vector<store::SealedFieldUpdate>& u) { return s.webhooks().replace_sealed(u); }},
      {"trigger_subscriptions",
       [&s](const std::string& after, std::int64_t n) { return s.triggers().list_sealed(after, n); },
       [&s](const std::vector<store::SealedFieldUpdate>& u) { return s.triggers().replace_sealed(u); }},
  };
}

// Calls fn(table, page) for every page of every sealed table, in id order.
template <class Fn>
void for_each_page(store::Store& s, std::int64_t batch_size, Fn&& fn) {
  for (const auto& t : sealed_tables(s)) {
    std::string after;
    for (;;) {
      auto page = t.list(after, batch_size);
      if (page.empty()) break;
      after = page.back().id;
      fn(t, page);
    }
  }
}

void wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
}

// True when the value opens with one of the vault's keys; the plaintext is wiped at once.
bool opens(const vault::Vault& v, const std::string& sealed) {
  try {
    std::string plain = v.open(sealed);
    wipe(plain);
    return true;
  } catch (const vault::DecryptionError&) {
    return false;
  }
}

std::string describe(const std::string& key_id) { return key_id.empty() ? "(not a sealed value)" : key_id; }

void print_unreadable(const std::vector<UnreadableValue>& list, std::ostream& err) {
  err << list.size() << " sealed value(s) cannot be opened with any known key:\n";
  for (const auto& u : list)
    err << "  " << u.table << " " << u.id << " " << u.column << " (sealed with key " << describe(u.key_id)
        << ")\n";
}

std::string source_of(const vault::KeyRing& ring, const std::string& key_id) {
  if (ring.current.id() == key_id) return "current";
  for (std::size_t i = 0; i < ring.retired.size(); ++i)
    if (ring.retired[i].id() == key_id) return "retired";
  return "unknown";
}

}  // namespace

SealedInventory take_inventory(store::Store& store, const vault::Vault& vault, bool check) {
  SealedInventory inv;
  for_each_page(store, 200, [&](const SealedTable& t, const std::vector<store::SealedField>& page) {
    for (const auto& f : page) {
      const std::string key_id = vault::Vault::key_id_of(f.value);
      ++inv.by_key[key_id];
      ++inv.by_table[t.name];
      if (check && !opens(vault, f.value)) inv.unreadable.push_back({t.name, f.id, f.column, key_id});
    }
  });
  return inv;
}

ResealReport reseal_all(store::Store& store, const vault::Vault& vault, std::int64_t batch_size) {
  ResealReport report;
  for (const auto& t : sealed_tables(store)) report.tables[t.name];
  for_each_page(store, batch_size, [&](const SealedTable& t, std::vector<store::SealedField>& page) {
    TableCounts& counts = report.tables[t.name];
    std::vector<store::SealedFieldUpdate> updates;
    for (auto& f : page) {
      if (vault::Vault::key_id_of(f.value) == vault.current_key_id()) {
        ++counts.already_current;
        continue;
      }
      std::string plain;
      try {
        plain = vault.open(f.value);
      } catch (const vault::DecryptionError&) {
        ++counts.unreadable;
        report.unreadable.push_back({t.name, f.id, f.column, vault::Vault::key_id_of(f.value)});
        continue;
      }
      std::string sealed = vault.seal(plain);
      std::string again = vault.open(sealed);
      const bool same = again == plain;
      wipe(plain);
      wipe(again);
      if (!same)
        throw std::runtime_error("re-sealing " + t.name + " " + f.id + " " + f.column + " failed a check");
      updates.push_back({f.id, f.column, std::move(f.value), std::move(sealed)});
    }
    const std::int64_t replaced = t.replace(updates);
    counts.resealed += replaced;
    counts.changed_meanwhile += static_cast<std::int64_t>(updates.size()) - replaced;
  });
  return report;
}

int vault_rotate(const Config& config, const RotateOptions& options, std::ostream& out, std::ostream& err) {
  vault::KeyRing ring = vault::load_key_ring(config.master_key_file, config.retired_key_files, false);
  auto store = store::open_store(config.database_url);

  std::optional<vault::MasterKey> given;
  if (options.new_key_file) {
    given = vault::MasterKey::read_file(*options.new_key_file);
  } else if (const char* env = std::getenv(kNewKeyEnvVar); env != nullptr && *env != '\0') {
    given = vault::MasterKey::parse(env);
    if (!given)
      throw std::runtime_error(std::string(kNewKeyEnvVar) +
                               " is set but is not a valid key: expected 64 hex characters or the base64 "
                               "encoding of exactly 32 bytes");
  } else if (ring.current_from_env) {
    err << "plugboard: " << vault::MasterKey::kEnvVar
        << " is set, so the new key cannot be written to a key file: give the new key with --new-key-file or "
        << kNewKeyEnvVar << ". Nothing was changed.\n";
    return 2;
  }
  const vault::MasterKey next =
      given ? *given : vault::MasterKey::from_bytes(vault::random_bytes(vault::MasterKey::kSize));
  const std::string old_id = ring.current.id();
  const std::string& new_id = next.id();
  std::vector<vault::MasterKey> readers = ring.retired;
  readers.push_back(ring.current);
  const vault::Vault v(next, std::move(readers));

  // Everything must open before anything changes.
  const SealedInventory before = take_inventory(*store, v, true);
  if (!before.unreadable.empty()) {
    print_unreadable(before.unreadable, err);
    if (!options.force_skip_unreadable) {
      err << "Nothing was changed. Make the key(s) that sealed them available (vault.retired_key_files or "
          << vault::kRetiredKeysEnvVar
          << ") and run again, or add --force-skip-unreadable to leave them as they are.\n";
      return 1;
    }
    err << "--force-skip-unreadable: these values are left as they are.\n";
  }

  // The new key reaches disk before anything is sealed with it, and the old key stays on disk
  // as a retired key: a crash at any later point leaves every value readable on the next start.
  std::optional<std::filesystem::path> retired_path;
  const bool rotating = new_id != old_id;
  if (rotating && !ring.current_from_env) {
    retired_path = vault::retired_key_path(config.master_key_file, old_id);
    vault::keep_key_file(*retired_path, ring.current);
    vault::install_key_file(config.master_key_file, next);
  }

  ResealReport report = reseal_all(*store, v);
  for (int pass = 1; pass < kResealPasses; ++pass) {
    std::int64_t changed = 0;
    for (const auto& [_, c] : report.tables) changed += c.changed_meanwhile;
    if (changed == 0) break;
    const ResealReport again = reseal_all(*store, v);
    for (auto& [name, c] : report.tables) {
      c.resealed += again.tables.at(name).resealed;
      c.changed_meanwhile = again.tables.at(name).changed_meanwhile;
    }
  }

  out << "old key: " << old_id << "\n";
  out << "new key: " << new_id
      << (rotating ? "" : " (the current key: re-sealed values still under other keys)") << "\n";
  std::int64_t changed = 0;
  for (const auto& [name, c] : report.tables) {
    out << name << ": " << c.resealed << " re-sealed, " << c.already_current << " already under the new key, "
        << c.unreadable << " unreadable (left as they were)";
    if (c.changed_meanwhile > 0) out << ", " << c.changed_meanwhile << " changed during the rotation";
    out << "\n";
    changed += c.changed_meanwhile;
  }
  if (retired_path) {
    out << "installed the new key in " << config.master_key_file.string() << "; the old key is kept in "
        << retired_path->string() << " and is read as a retired key on every start\n";
  } else if (rotating) {
    out << "nothing was written to key files: set " << vault::MasterKey::kEnvVar << " to the new key ("
        << new_id << ") and keep the old one (" << old_id << ") in " << vault::kRetiredKeysEnvVar
        << " until `plugboard vault status` shows no value sealed with it\n";
  }
  if (changed > 0) {
    err << changed << " value(s) were rewritten by a running server during the rotation and are still sealed "
        << "with an older key; stop the server and run `plugboard vault rotate --new-key-file "
        << config.master_key_file.string() << "` to re-seal them under the current key.\n";
  }
  out << "Restart the server so it seals with the new key. A retired key file can be deleted once "
         "`plugboard vault status` shows no value sealed with it.\n";
  return 0;
}

int vault_status(const Config& config, bool json, std::ostream& out, std::ostream& /*err*/) {
  const vault::KeyRing ring = vault::load_key_ring(config.master_key_file, config.retired_key_files, false);
  auto store = store::open_store(config.database_url);
  const vault::Vault v = ring.vault();
  const SealedInventory inv = take_inventory(*store, v, false);

  if (json) {
    boost::json::array retired;
    for (std::size_t i = 0; i < ring.retired.size(); ++i)
      retired.push_back(boost::json::object{
          {"id", ring.retired[i].id()},
          {"source", ring.retired_sources[i]},
          {"sealed_values",
           inv.by_key.count(ring.retired[i].id()) ? inv.by_key.at(ring.retired[i].id()) : 0}});
    boost::json::object by_key, by_table;
    for (const auto& [id, n] : inv.by_key) by_key[id] = n;
    for (const auto& [name, n] : inv.by_table) by_table[name] = n;
    out << boost::json::serialize(boost::json::object{{"current_key_id", ring.current.id()},
                                                      {"current_key_source", ring.current_source},
                                                      {"retired_keys", std::move(retired)},
                                                      {"sealed_values_by_key", std::move(by_key)},
                                                      {"sealed_values_by_table", std::move(by_table)}})
        << "\n";
    return 0;
  }

  out << "current key: " << ring.current.id() << " (" << ring.current_source << ")\n";
  for (std::size_t i = 0; i < ring.retired.size(); ++i)
    out << "retired key: " << ring.retired[i].id() << " (" << ring.retired_sources[i] << ")\n";
  out << "sealed values by key:\n";
  if (inv.by_key.empty()) out << "  (none)\n";
  for (const auto& [id, n] : inv.by_key) {
    const std::string state = id.empty() ? "not a sealed value" : source_of(ring, id);
    out << "  " << describe(id) << "  " << n << "  " << state
        << (state == "unknown" ? ": no key with this id is available; these values cannot be opened" : "")
        << "\n";
  }
  for (const auto& [name, n] : inv.by_table) out << name << ": " << n << " sealed value(s)\n";
  for (std::size_t i = 0; i < ring.retired.size(); ++i) {
    if (inv.by_key.count(ring.retired[i].id()) == 0)
      out << "retired key " << ring.retired[i].id() << " seals no stored value; " << ring.retired_sources[i]
          << " can be removed\n";
  }
  return 0;
}

}  // namespace plugboard::app

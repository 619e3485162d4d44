#include "vault/key_ring.hpp"

#include "vault/random.hpp"

#include <openssl/crypto.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace plugboard::vault {

namespace fs = std::filesystem;

namespace {

std::system_error os_error(const std::string& what) {
  return std::system_error(errno, std::generic_category(), what);
}

std::string retired_prefix(const fs::path& key_file) { return key_file.filename().string() + ".retired-"; }

// Retired key files beside the key file, in name order so start-up is deterministic.
std::vector<fs::path> retired_files_beside(const fs::path& key_file) {
  std::vector<fs::path> out;
  const fs::path dir = key_file.has_parent_path() ? key_file.parent_path() : fs::path(".");
  const std::string prefix = retired_prefix(key_file);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    // ".tmp-" names are our own half-written files; a crash can leave one behind.
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
        name.find(".tmp-") == std::string::npos)
      out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void add_retired(KeyRing& ring, MasterKey key, std::string source) {
  if (key.id() == ring.current.id()) return;
  for (const auto& k : ring.retired)
    if (k.id() == key.id()) return;
  ring.retired.push_back(std::move(key));
  ring.retired_sources.push_back(std::move(source));
}

// Closes a descriptor on every path.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Writes the key to a new private file next to path and returns its name.
fs::path write_temp_key(const fs::path& path, const MasterKey& key) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  fs::path tmp = path.string() + ".tmp-" + random_hex(8);
  Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)};
  if (f.fd < 0) throw os_error("cannot create key file " + tmp.string());
  std::string text = hex_encode(key.bytes()) + "\n";
  const ssize_t written = ::write(f.fd, text.data(), text.size());
  OPENSSL_cleanse(text.data(), text.size());
  const bool ok = written == static_cast<ssize_t>(text.size()) && ::fsync(f.fd) == 0;
  const int saved = errno;
  ::close(f.fd);
  f.fd = -1;
  if (!ok) {
    ::unlink(tmp.c_str());
    errno = saved;
    throw os_error("cannot write key file " + tmp.string());
  }
  return tmp;
}

// Makes a rename or link in the folder durable.
void sync_dir(const fs::path& path) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0 || ::fsync(d.fd) != 0) throw os_error("cannot sync folder " + dir.string());
}

}  // namespace

KeyRing load_key_ring(const fs::path& key_file, const std::vector<fs::path>& retired_files,
                      bool create_missing) {
  const bool from_env = std::getenv(MasterKey::kEnvVar) != nullptr;
  std::error_code ec;
  if (!from_env && !create_missing && !fs::exists(key_file, ec)) {
    throw std::runtime_error("no master key: " + key_file.string() + " does not exist and " +
                             MasterKey::kEnvVar + " is not set");
  }
  KeyRing ring{
      MasterKey::load(key_file), from_env ? MasterKey::kEnvVar : key_file.string(), from_env, {}, {}};
  for (const auto& f : retired_files_beside(key_file)) add_retired(ring, MasterKey::read_file(f), f.string());
  for (const auto& f : retired_files) add_retired(ring, MasterKey::read_file(f), f.string());
  if (const char* env = std::getenv(kRetiredKeysEnvVar)) {
    const std::string_view list(env);
    std::size_t pos = 0, index = 0;
    while (pos <= list.size()) {
      std::size_t comma = list.find(',', pos);
      if (comma == std::string_view::npos) comma = list.size();
      const std::string_view item = list.substr(pos, comma - pos);
      ++index;
      if (item.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        auto key = MasterKey::parse(item);
        if (!key) {
          throw std::runtime_error(std::string(kRetiredKeysEnvVar) + ": entry " + std::to_string(index) +
                                   " is not a valid key: expected 64 hex characters or the base64 encoding "
                                   "of exactly 32 bytes, entries separated by commas");
        }
        add_retired(ring, std::move(*key),
                    std::string(kRetiredKeysEnvVar) + "[" + std::to_string(index) + "]");
      }
      pos = comma + 1;
    }
  }
  return ring;
}

fs::path retired_key_path(const fs::path& key_file, const std::string& key_id) {
  fs::path p = key_file;
  p.replace_filename(retired_prefix(key_file) + key_id);
  return p;
}

void install_key_file(const fs::path& path, const MasterKey& key) {
  const fs::path tmp = write_temp_key(path, key);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    throw os_error("cannot install key file " + path.string());
  }
  sync_dir(path);
}

void keep_key_file(const fs::path& path, const MasterKey& key) {
  const fs::path tmp = write_temp_key(path, key);
  // link() fails when the name exists, so an existing file is never replaced.
  const int linked = ::link(tmp.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked != 0) {
    if (link_errno != EEXIST) {
      errno = link_errno;
      throw os_error("cannot create key file " + path.string());
    }
    if (MasterKey::read_file(path).id() != key.id())
      throw std::runtime_error("key file " + path.string() + " already exists and holds a different key");
    return;
  }
  sync_dir(path);
}

}  // namespace plugboard::vault

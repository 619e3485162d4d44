#include "vault/master_key.hpp"

#include "vault/random.hpp"

#include <openssl/crypto.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <system_error>

namespace plugboard::vault {

namespace fs = std::filesystem;

namespace {

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// 64 hex digits -> 32 bytes; nullopt for anything else.
std::optional<std::string> decode_hex_key(std::string_view text) {
  if (text.size() != MasterKey::kSize * 2) return std::nullopt;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out(MasterKey::kSize, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(text[2 * i]);
    const int lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::system_error os_error(const std::string& what) {
  return std::system_error(errno, std::generic_category(), what);
}

// Closes a descriptor on every path.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

MasterKey read_key_file(const fs::path& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) throw os_error("cannot open master key file " + path.string());
  struct stat st {};
  // fstat on the open descriptor: the mode we check is the mode of the file we read.
  if (::fstat(f.fd, &st) != 0) throw os_error("cannot stat master key file " + path.string());
  if (!S_ISREG(st.st_mode))
    throw std::runtime_error("master key file " + path.string() + " is not a regular file");
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    throw std::runtime_error("master key file " + path.string() +
                             " is accessible by group or others; run `chmod 600 " + path.string() +
                             "` (and consider rotating the key) before starting again");
  }
  std::string text(256, '\0');
  const ssize_t n = ::read(f.fd, text.data(), text.size());
  if (n < 0) throw os_error("cannot read master key file " + path.string());
  text.resize(static_cast<std::size_t>(n));
  auto raw = decode_hex_key(trim(text));
  OPENSSL_cleanse(text.data(), text.size());
  if (!raw) {
    throw std::runtime_error("master key file " + path.string() +
                             " does not hold a key (expected 64 hex characters and a newline)");
  }
  return MasterKey::from_bytes(std::move(*raw));
}

// Writes the key to a private temporary file, then link()s it into place: link fails if
// the name exists, so two processes starting together end up sharing one key, and no
// reader ever sees a half-written file.
std::optional<MasterKey> create_key_file(const fs::path& path) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  const fs::path tmp = path.string() + ".tmp-" + random_hex(8);
  Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)};
  if (f.fd < 0) throw os_error("cannot create master key file " + tmp.string());
  MasterKey key = MasterKey::from_bytes(random_bytes(MasterKey::kSize));
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
    throw os_error("cannot write master key file " + tmp.string());
  }
  const int linked = ::link(tmp.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked != 0) {
    if (link_errno == EEXIST) return std::nullopt;  // another process won the race
    errno = link_errno;
    throw os_error("cannot create master key file " + path.string());
  }
  return key;
}

}  // namespace

MasterKey::MasterKey(std::string raw32) : key_(std::move(raw32)), id_(sha256_hex(key_).substr(0, 16)) {}

MasterKey::~MasterKey() {
  if (!key_.empty()) OPENSSL_cleanse(key_.data(), key_.size());
}

MasterKey MasterKey::from_bytes(std::string raw32) {
  if (raw32.size() != kSize) {
    OPENSSL_cleanse(raw32.data(), raw32.size());
    throw std::invalid_argument("master key must be exactly 32 bytes");
  }
  return MasterKey(std::move(raw32));
}

MasterKey MasterKey::read_file(const fs::path& key_file) { return read_key_file(key_file); }

std::optional<MasterKey> MasterKey::parse(std::string_view text) {
  text = trim(text);
  if (auto raw = decode_hex_key(text)) return from_bytes(std::move(*raw));
  try {
    std::string raw = base64_decode(text);
    if (raw.size() == kSize) return from_bytes(std::move(raw));
    OPENSSL_cleanse(raw.data(), raw.size());
  } catch (const std::invalid_argument&) {
    // Not base64 either; the decoder's message is not needed.
  }
  return std::nullopt;
}

MasterKey MasterKey::load(const fs::path& key_file) {
  if (const char* env = std::getenv(kEnvVar)) {
    if (auto key = parse(env)) return std::move(*key);
    // Never echo the value: a near-miss key is still mostly a key.
    throw std::runtime_error(std::string(kEnvVar) +
                             " is set but is not a valid key: expected 64 hex characters or the base64 "
                             "encoding of exactly 32 bytes (generate one with `openssl rand -hex 32`)");
  }
  // Read an existing file, else create one; if another process creates it in between, read theirs.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::error_code ec;
    if (fs::exists(key_file, ec)) return read_key_file(key_file);
    if (auto created = create_key_file(key_file)) return std::move(*created);
  }
  return read_key_file(key_file);
}

}  // namespace plugboard::vault

#include "isolation/frame.hpp"

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <unistd.h>

namespace plugboard::isolation {
namespace {

void put_u32(std::string& out, std::size_t v) {
  const auto x = static_cast<std::uint32_t>(v);
  for (int i = 0; i < 4; ++i) out += static_cast<char>((x >> (8 * i)) & 0xff);
}

std::uint32_t get_u32(const char* p) {
  std::uint32_t x = 0;
  for (int i = 0; i < 4; ++i) x |= static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return x;
}

// Reads exactly `len` bytes. False when the stream ends before the first byte.
bool read_full(int fd, char* p, std::size_t len) {
  std::size_t got = 0;
  while (got < len) {
    ssize_t n = ::read(fd, p + got, len - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw FrameError(std::string("read failed: ") + std::strerror(errno));
    if (n == 0) {
      if (got == 0) return false;
      throw FrameError("stream ended inside a frame");
    }
    got += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::string encode_frame(const Message& m) {
  const std::string head = boost::json::serialize(m.head);
  std::size_t body = 8 + head.size();
  for (const auto& b : m.blobs) body += 4 + b.size();
  if (body > kMaxFrameBytes)
    throw FrameTooLarge("frame of " + std::to_string(body) + " bytes exceeds the limit of " +
                        std::to_string(kMaxFrameBytes));
  std::string out;
  out.reserve(4 + body);
  put_u32(out, body);
  put_u32(out, head.size());
  out += head;
  put_u32(out, m.blobs.size());
  for (const auto& b : m.blobs) {
    put_u32(out, b.size());
    out += b;
  }
  return out;
}

Message decode_frame_body(std::string_view body) {
  std::size_t pos = 0;
  auto take_len = [&](const char* what) {
    if (body.size() - pos < 4) throw FrameError(std::string("frame too short for ") + what);
    std::size_t v = get_u32(body.data() + pos);
    pos += 4;
    return v;
  };
  Message m;
  const std::size_t head_len = take_len("the head length");
  if (head_len > body.size() - pos) throw FrameError("frame head length points past the end of the frame");
  boost::system::error_code ec;
  auto head = boost::json::parse(body.substr(pos, head_len), ec);
  if (ec || !head.is_object()) throw FrameError("frame head is not a JSON object");
  m.head = std::move(head.get_object());
  pos += head_len;
  const std::size_t count = take_len("the blob count");
  if (count > (body.size() - pos) / 4) throw FrameError("frame blob count exceeds what the frame holds");
  m.blobs.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t len = take_len("a blob length");
    if (len > body.size() - pos) throw FrameError("frame blob length points past the end of the frame");
    m.blobs.emplace_back(body.substr(pos, len));
    pos += len;
  }
  if (pos != body.size()) throw FrameError("frame has trailing bytes");
  return m;
}

void write_frame(int fd, const Message& m) {
  const std::string bytes = encode_frame(m);
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    // MSG_NOSIGNAL: a dead peer is an error here, not a SIGPIPE that ends the process.
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = ::write(fd, bytes.data() + sent, bytes.size() - sent);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw FrameError(std::string("write failed: ") + std::strerror(errno));
    sent += static_cast<std::size_t>(n);
  }
}

bool read_frame(int fd, Message& out, std::size_t max_bytes) {
  char len_bytes[4];
  if (!read_full(fd, len_bytes, 4)) return false;
  const std::size_t len = get_u32(len_bytes);
  if (len > max_bytes)
    throw FrameError("frame of " + std::to_string(len) + " bytes exceeds the limit of " +
                     std::to_string(max_bytes));
  std::string body(len, '\0');
  if (len > 0 && !read_full(fd, body.data(), len)) throw FrameError("stream ended inside a frame");
  out = decode_frame_body(body);
  return true;
}

}  // namespace plugboard::isolation

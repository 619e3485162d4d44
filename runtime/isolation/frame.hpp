// The wire format between the runtime and a plugin host process (plugboard-plugin-host).
// A frame carries one message: a small JSON object (what it is, ids, statuses) plus raw byte
// blobs for everything that comes from or goes to plugin code (parameters, results, HTTP
// bodies), so binary and non-UTF-8 bytes travel as they are and are never re-encoded.
//
//   u32 body_len | body = u32 head_len, head (JSON object), u32 blob_count, { u32 len, bytes }*
//
// Integers are little-endian. A frame larger than kMaxFrameBytes, a length that points past
// the end, a head that is not a JSON object or trailing bytes are all FrameErrors: the peer is
// broken or hostile, and the connection is dropped rather than guessed at.
#pragma once

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace plugboard::isolation {

// Larger than any execute request body or provider response the runtime accepts.
inline constexpr std::size_t kMaxFrameBytes = 256u << 20;

struct FrameError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A message too large to send: the peer is fine, only this message cannot go.
struct FrameTooLarge : FrameError {
  using FrameError::FrameError;
};

struct Message {
  boost::json::object head;
  std::vector<std::string> blobs;
};

// The whole frame, length prefix included. Throws FrameTooLarge when it would exceed the limit.
std::string encode_frame(const Message& m);
// One frame's body (without its length prefix). Throws FrameError.
Message decode_frame_body(std::string_view body);

// Writes one frame to a blocking stream fd, in full. Throws FrameError on an I/O error.
void write_frame(int fd, const Message& m);
// Reads one frame. False on a clean end of stream before a frame starts; throws FrameError on
// a truncated or malformed frame or an I/O error.
bool read_frame(int fd, Message& out, std::size_t max_bytes = kMaxFrameBytes);

}  // namespace plugboard::isolation

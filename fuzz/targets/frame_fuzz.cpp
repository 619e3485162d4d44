// The frame codec between the runtime and plugboard-plugin-host (isolation/frame.hpp): a frame
// body from a broken or hostile child must decode or be refused with a FrameError, and what
// decodes must encode back to a frame that decodes to the same message.
#include "isolation/frame.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace plugboard::isolation;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Message m;
  try {
    m = decode_frame_body(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const FrameError&) {
    return 0;
  }
  const std::string again = encode_frame(m);
  Message back = decode_frame_body(std::string_view(again).substr(4));
  if (back.head != m.head || back.blobs != m.blobs) std::abort();
  return 0;
}

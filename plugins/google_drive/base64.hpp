// Base64 for file contents: a decoder fed piece by piece (so a file's text never has to be held
// whole while it is decoded) and an encoder writing into one preallocated string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace google_drive {

// Decodes RFC 4648 base64, standard (+/) or URL-safe (-_) alphabet, padding optional; ASCII
// whitespace (line breaks of MIME-wrapped text) is skipped. Anything else is an error.
class Base64Decoder {
 public:
  explicit Base64Decoder(std::string& out) : out_(out) {}

  // Feeds more text; false (and stays failed) at the first invalid character.
  bool feed(std::string_view text);
  // Ends the input; false when it was not valid base64 (a dangling single character, data
  // after padding, ...).
  bool finish();
  // Where the first error was, as an offset in the text fed so far.
  std::uint64_t error_offset() const { return error_at_; }
  bool failed() const { return failed_; }

 private:
  bool fail() {
    failed_ = true;
    error_at_ = seen_;
    return false;
  }
  std::string& out_;
  std::uint32_t acc_ = 0;
  int bits_ = 0;  // sextets in acc_ (0-3)
  int pad_ = 0;   // '=' seen
  bool failed_ = false;
  std::uint64_t seen_ = 0;
  std::uint64_t error_at_ = 0;
};

// Length of the standard base64 (with padding) of n bytes.
inline std::size_t base64_length(std::size_t n) { return (n + 2) / 3 * 4; }
// Writes the standard base64 of data, with padding, to out (base64_length(data.size()) chars).
void base64_encode(std::string_view data, char* out);

}  // namespace google_drive

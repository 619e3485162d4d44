#include "base64.hpp"

#include <array>

namespace google_drive {

namespace {

constexpr std::array<std::int8_t, 256> make_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  const char* std_alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(std_alpha[i])] = static_cast<std::int8_t>(i);
  t[static_cast<unsigned char>('-')] = 62;  // URL-safe alphabet
  t[static_cast<unsigned char>('_')] = 63;
  t[static_cast<unsigned char>(' ')] = -2;  // whitespace: skipped
  t[static_cast<unsigned char>('\t')] = -2;
  t[static_cast<unsigned char>('\r')] = -2;
  t[static_cast<unsigned char>('\n')] = -2;
  t[static_cast<unsigned char>('=')] = -3;  // padding
  return t;
}
constexpr std::array<std::int8_t, 256> kTable = make_table();

}  // namespace

bool Base64Decoder::feed(std::string_view text) {
  if (failed_) return false;
  for (unsigned char c : text) {
    const std::int8_t v = kTable[c];
    if (v >= 0) {
      if (pad_ > 0) return fail();  // data after padding
      acc_ = (acc_ << 6) | static_cast<std::uint32_t>(v);
      if (++bits_ == 4) {
        out_ += static_cast<char>((acc_ >> 16) & 0xFF);
        out_ += static_cast<char>((acc_ >> 8) & 0xFF);
        out_ += static_cast<char>(acc_ & 0xFF);
        acc_ = 0;
        bits_ = 0;
      }
    } else if (v == -3) {
      // Padding completes a group of 2 or 3 characters: "xx==" or "xxx=".
      if (bits_ < 2 || bits_ + pad_ >= 4) return fail();
      ++pad_;
    } else if (v != -2) {
      return fail();
    }
    ++seen_;
  }
  return true;
}

bool Base64Decoder::finish() {
  if (failed_) return false;
  if (pad_ > 0 && bits_ + pad_ != 4) return fail();  // "xx=" is truncated padding
  if (bits_ == 1) return fail();                     // 6 bits cannot make a byte
  if (bits_ == 2) {
    out_ += static_cast<char>((acc_ >> 4) & 0xFF);
  } else if (bits_ == 3) {
    out_ += static_cast<char>((acc_ >> 10) & 0xFF);
    out_ += static_cast<char>((acc_ >> 2) & 0xFF);
  }
  acc_ = 0;
  bits_ = 0;
  return true;
}

void base64_encode(std::string_view data, char* p) {
  static constexpr char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t i = 0;
  const auto* d = reinterpret_cast<const unsigned char*>(data.data());
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{d[i]} << 16) | (std::uint32_t{d[i + 1]} << 8) | d[i + 2];
    *p++ = alpha[(n >> 18) & 63];
    *p++ = alpha[(n >> 12) & 63];
    *p++ = alpha[(n >> 6) & 63];
    *p++ = alpha[n & 63];
  }
  if (std::size_t rest = data.size() - i; rest > 0) {
    std::uint32_t n = std::uint32_t{d[i]} << 16;
    if (rest == 2) n |= std::uint32_t{d[i + 1]} << 8;
    *p++ = alpha[(n >> 18) & 63];
    *p++ = alpha[(n >> 12) & 63];
    *p++ = rest == 2 ? alpha[(n >> 6) & 63] : '=';
    *p++ = '=';
  }
}

}  // namespace google_drive

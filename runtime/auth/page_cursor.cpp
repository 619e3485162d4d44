#include "auth/page_cursor.hpp"

#include "store/iso_time.hpp"
#include "vault/random.hpp"

#include <algorithm>
#include <stdexcept>

namespace plugboard::auth {

std::string encode_page_cursor(const std::string& time, const std::string& tiebreak) {
  std::string b = vault::base64_encode(time + "|" + tiebreak);
  std::replace(b.begin(), b.end(), '+', '-');
  std::replace(b.begin(), b.end(), '/', '_');
  b.erase(std::find(b.begin(), b.end(), '='), b.end());
  return b;
}

std::optional<std::pair<std::string, std::string>> decode_page_cursor(std::string cursor) {
  if (cursor.empty() || cursor.size() > 300) return std::nullopt;
  for (char& c : cursor) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (c == '+' || c == '/')
      return std::nullopt;
  }
  std::string plain;
  try {
    plain = vault::base64_decode(cursor);
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
  const auto bar = plain.find('|');
  if (bar == std::string::npos) return std::nullopt;
  std::pair<std::string, std::string> out{plain.substr(0, bar), plain.substr(bar + 1)};
  if (!store::parse_iso(out.first) || out.second.empty()) return std::nullopt;
  return out;
}

}  // namespace plugboard::auth

#include "auth/page_cursor.hpp"

#include "auth/service_error.hpp"
#include "store/iso_time.hpp"
#include "vault/random.hpp"

#include <algorithm>
#include <stdexcept>

namespace plugboard::auth {

std::string encode_cursor(std::string_view created_at, std::string_view tiebreak) {
  std::string plain(created_at);
  plain += '|';
  plain += tiebreak;
  std::string b = vault::base64_encode(plain);
  std::replace(b.begin(), b.end(), '+', '-');
  std::replace(b.begin(), b.end(), '/', '_');
  b.erase(std::find(b.begin(), b.end(), '='), b.end());
  return b;
}

std::pair<std::string, std::string> decode_cursor(std::string cursor) {
  const auto bad = [] { return ServiceError::invalid("cursor", "cursor is not one this server issued"); };
  if (cursor.empty() || cursor.size() > 200) throw bad();
  for (char& c : cursor) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (c == '+' || c == '/')
      throw bad();
  }
  std::string plain;
  try {
    plain = vault::base64_decode(cursor);
  } catch (const std::invalid_argument&) {
    throw bad();
  }
  const auto bar = plain.find('|');
  if (bar == std::string::npos) throw bad();
  std::pair<std::string, std::string> out{plain.substr(0, bar), plain.substr(bar + 1)};
  if (out.second.empty() || !store::parse_iso(out.first)) throw bad();
  return out;
}

}  // namespace plugboard::auth

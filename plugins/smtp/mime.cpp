#include "mime.hpp"

#include <array>
#include <cstdint>
#include <ctime>
#include <random>

namespace smtp {

namespace json = boost::json;
using plugboard::ActionError;

namespace {

ActionError invalid(std::string_view field, const std::string& why) {
  json::object d;
  d["parameter"] = field;
  return {"INVALID_PARAMETERS", std::string(field) + " " + why, std::move(d)};
}

bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kHex[] = "0123456789ABCDEF";

// Characters an unquoted local part may hold (RFC 5322 atext) plus the dot.
bool atext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos;
}

bool valid_domain(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  if (d.front() == '[') {  // address literal: [192.0.2.1] or [IPv6:...]
    if (d.back() != ']') return false;
    for (char c : d.substr(1, d.size() - 2))
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' ||
            c == ':' || c == 'I' || c == 'P' || c == 'v'))
        return false;
    return d.size() > 2;
  }
  std::size_t label = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    char c = d[i];
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || ++label > 63) return false;
    if (c == '-' && (label == 1 || i + 1 == d.size() || d[i + 1] == '.')) return false;
  }
  return label > 0;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// RFC 2047 encoded words ("=?utf-8?B?...?="), each at most 75 characters, folded onto
// continuation lines. Never splits a UTF-8 sequence across two words.
std::string encoded_words(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = std::min(text.size(), i + 45);  // 45 bytes -> 60 base64 characters
    while (end < text.size() && end > i && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    if (end == i) end = std::min(text.size(), i + 45);
    if (!out.empty()) out += "\r\n ";
    out += "=?utf-8?B?" + base64_encode(text.substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

// A display name as a phrase: a quoted string when ASCII, encoded words otherwise.
std::string phrase(std::string_view name) {
  if (!is_ascii(name)) return encoded_words(name);
  std::string out = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string format_address(const Address& a) {
  if (a.name.empty()) return a.email;
  return phrase(a.name) + " <" + a.email + ">";
}

std::string address_list(const std::vector<Address>& list) {
  std::string out;
  for (const auto& a : list) {
    if (!out.empty()) out += ",\r\n ";
    out += format_address(a);
  }
  return out;
}

std::string rfc5322_date() {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string random_hex(std::size_t bytes) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    auto b = static_cast<unsigned>(rng() & 0xFF);
    out += kHex[b >> 4];
    out += kHex[b & 0x0F];
  }
  return out;
}

// Every line break (CRLF, LF or lone CR) as CRLF.
std::string crlf(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 32);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out += "\r\n";
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else if (s[i] == '\n') {
      out += "\r\n";
    } else {
      out += s[i];
    }
  }
  return out;
}

// Quoted-printable (RFC 2045 6.7) of CRLF text: lines at most 76 characters, line breaks kept.
std::string quoted_printable(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t start = 0;
  while (true) {
    std::size_t eol = text.find("\r\n", start);
    std::string_view line =
        text.substr(start, eol == std::string_view::npos ? std::string_view::npos : eol - start);
    std::size_t len = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      auto c = static_cast<unsigned char>(line[i]);
      const bool last = i + 1 == line.size();
      char tok[3];
      std::size_t n = 1;
      if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) {
        tok[0] = static_cast<char>(c);
      } else {
        tok[0] = '=';
        tok[1] = kHex[c >> 4];
        tok[2] = kHex[c & 0x0F];
        n = 3;
      }
      if (len + n > 75) {  // 75 + the soft break's "=" = 76
        out += "=\r\n";
        len = 0;
      }
      out.append(tok, n);
      len += n;
    }
    if (eol == std::string_view::npos) break;
    out += "\r\n";
    start = eol + 2;
  }
  return out;
}

std::string text_part(std::string_view subtype, std::string_view body) {
  return "Content-Type: text/" + std::string(subtype) +
         "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
         quoted_printable(crlf(body));
}

// filename="..." when printable ASCII, RFC 2231 filename*=utf-8''... otherwise.
std::string filename_param(std::string_view key, std::string_view name) {
  if (is_ascii(name)) {
    std::string out = std::string(key) + "=\"";
    for (char c : name) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  }
  std::string out = std::string(key) + "*=utf-8''";
  for (unsigned char c : name) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
        c == '_') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

std::string attachment_part(const Attachment& a) {
  std::string ct = a.content_type.empty() ? "application/octet-stream" : a.content_type;
  if (ct.find(';') == std::string::npos) ct += ";\r\n " + filename_param("name", a.filename);
  return "Content-Type: " + ct +
         "\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment;\r\n " +
         filename_param("filename", a.filename) + "\r\n\r\n" + base64_encode(a.data, true);
}

// A multipart body of the given parts. The boundary starts with "=_", which neither
// quoted-printable nor base64 output can contain.
std::string multipart(std::string_view subtype, const std::vector<std::string>& parts) {
  const std::string boundary = "=_pb_" + random_hex(12);
  std::string out = "Content-Type: multipart/" + std::string(subtype) + ";\r\n boundary=\"" + boundary +
                    "\"\r\n\r\nThis is a multi-part message in MIME format.\r\n";
  for (const auto& p : parts) out.append("--").append(boundary).append("\r\n").append(p).append("\r\n");
  return out + "--" + boundary + "--\r\n";
}

}  // namespace

void check_header_text(std::string_view value, std::string_view field) {
  for (unsigned char c : value)
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      throw invalid(field, c == '\r' || c == '\n' ? "must not contain line breaks"
                                                  : "must not contain control characters");
}

Address parse_address(std::string_view raw, std::string_view field) {
  check_header_text(raw, field);
  std::string s = trim(raw);
  Address a;
  if (!s.empty() && s.back() == '>') {
    const auto lt = s.rfind('<');
    if (lt == std::string::npos) throw invalid(field, "is not an email address: '" + s + "'");
    a.name = trim(std::string_view(s).substr(0, lt));
    if (a.name.size() >= 2 && a.name.front() == '"' && a.name.back() == '"') {
      std::string unq;
      for (std::size_t i = 1; i + 1 < a.name.size(); ++i) {
        if (a.name[i] == '\\' && i + 2 < a.name.size()) ++i;
        unq += a.name[i];
      }
      a.name = unq;
    }
    s = trim(std::string_view(s).substr(lt + 1, s.size() - lt - 2));
  }
  const auto at = s.rfind('@');
  if (s.empty() || s.size() > 254 || at == std::string::npos || at == 0 || at > 64)
    throw invalid(field, "is not an email address: '" + s + "'");
  const std::string_view local = std::string_view(s).substr(0, at);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    throw invalid(field, "is not an email address: '" + s + "'");
  for (char c : local)
    if (!atext(c)) {
      if (static_cast<unsigned char>(c) >= 0x80)
        throw invalid(field, "has a non-ASCII address, which needs SMTPUTF8 (not supported): '" + s + "'");
      throw invalid(field, "is not an email address: '" + s + "'");
    }
  if (!valid_domain(std::string_view(s).substr(at + 1)))
    throw invalid(field, "is not an email address (bad domain): '" + s + "'");
  a.email = s;
  return a;
}

std::string base64_encode(std::string_view bytes, bool wrap76) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4 + (wrap76 ? bytes.size() / 57 * 2 + 2 : 0));
  std::size_t line = 0;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 2]);
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kB64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kB64[n & 63] : '=';
    if (wrap76 && (line += 4) == 76) {
      out += "\r\n";
      line = 0;
    }
  }
  if (wrap76 && line != 0) out += "\r\n";
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  static const std::array<int, 256> table = [] {
    std::array<int, 256> t{};
    t.fill(-1);
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kB64[i])] = i;
    return t;
  }();
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t symbols = 0;
  std::size_t padding = 0;
  for (unsigned char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '=') {
      ++padding;
      ++symbols;
      continue;
    }
    if (padding > 0 || table[c] < 0) return std::nullopt;  // data after padding, or not base64
    acc = (acc << 6) | static_cast<std::uint32_t>(table[c]);
    ++symbols;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (symbols % 4 != 0 || padding > 2) return std::nullopt;
  return out;
}

std::string new_message_id(std::string_view from_email) {
  const auto at = from_email.rfind('@');
  const std::string domain =
      at == std::string_view::npos ? "plugboard.invalid" : std::string(from_email.substr(at + 1));
  return "<" + random_hex(16) + "." + std::to_string(std::time(nullptr)) + "@" + domain + ">";
}

std::string render(const Message& m) {
  std::string h;
  h += "Date: " + rfc5322_date() + "\r\n";
  h += "From: " + format_address(m.from) + "\r\n";
  if (!m.to.empty()) h += "To: " + address_list(m.to) + "\r\n";
  if (!m.cc.empty()) h += "Cc: " + address_list(m.cc) + "\r\n";
  if (!m.reply_to.empty()) h += "Reply-To: " + address_list(m.reply_to) + "\r\n";
  if (!m.subject.empty()) {
    // Long or non-ASCII subjects go as encoded words, which fold; short ASCII ones as they are.
    h += "Subject: " +
         (is_ascii(m.subject) && m.subject.size() <= 900 ? m.subject : encoded_words(m.subject)) + "\r\n";
  }
  h += "Message-ID: " + m.message_id + "\r\n";
  h += "MIME-Version: 1.0\r\n";

  std::string body;
  if (!m.text.empty() && !m.html.empty())
    body = multipart("alternative", {text_part("plain", m.text), text_part("html", m.html)});
  else if (!m.html.empty())
    body = text_part("html", m.html);
  else
    body = text_part("plain", m.text);
  // A lone text part is the whole message, whose last line break belongs to the data (the
  // terminating "." follows it): a soft line break keeps a body without a final newline exact.
  if (m.attachments.empty() && (m.text.empty() || m.html.empty()) &&
      (body.size() < 2 || body.compare(body.size() - 2, 2, "\r\n") != 0))
    body += "=\r\n";

  if (!m.attachments.empty()) {
    // The body (one text part, or the alternative) is the first part, then each attachment.
    std::vector<std::string> parts{std::move(body)};
    for (const auto& a : m.attachments) parts.push_back(attachment_part(a));
    body = multipart("mixed", parts);
  }
  return h + body;
}

}  // namespace smtp

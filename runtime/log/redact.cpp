#include "log/redact.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <regex>

namespace plugboard::log {
namespace {

bool contains_icase(std::string_view text, std::string_view word) {
  return std::search(text.begin(), text.end(), word.begin(), word.end(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         }) != text.end();
}

// Words that occur in every pattern below; a line with none of them is returned as it is.
constexpr std::array<std::string_view, 11> kTriggers = {"bearer",  "basic ", "pb_",          "xox",
                                                        "secret",  "token",  "passw",        "api_key",
                                                        "api-key", "apikey", "authorization"};

struct Pattern {
  std::regex re;
  const char* replacement;
};

const std::array<Pattern, 5>& patterns() {
  static const std::array<Pattern, 5> p = {{
      // Authorization schemes, wherever they appear (headers, dumped requests).
      {std::regex(R"((\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{4,})", std::regex::icase), "$1[REDACTED]"},
      // JSON members whose name says secret: "client_secret":"...", "token": "...".
      {std::regex(
           R"(("[A-Za-z0-9_-]*(?:secret|token|passw(?:or)?d|api[_-]?key|authorization)[A-Za-z0-9_-]*"\s*:\s*")(?:[^"\\]|\\.)*")",
           std::regex::icase),
       "$1[REDACTED]\""},
      // name=value and name: value pairs (query strings, headers, key=value log lines).
      {std::regex(
           R"((\b[A-Za-z0-9_-]*(?:secret|token|passw(?:or)?d|api[_-]?key|authorization)[A-Za-z0-9_-]*\s*[=:]\s*)(?!\[REDACTED\]|(?:bearer|basic)\s)[^\s&",;]+)",
           std::regex::icase),
       "$1[REDACTED]"},
      // Plugboard API keys and Slack tokens, even when nothing names them.
      {std::regex(R"(\bpb_[A-Za-z0-9]{20,})"), "pb_[REDACTED]"},
      {std::regex(R"(\bxox[a-z]-[A-Za-z0-9-]+)"), "xox-[REDACTED]"},
  }};
  return p;
}

}  // namespace

std::string redact(std::string_view text) {
  if (std::none_of(kTriggers.begin(), kTriggers.end(),
                   [&](std::string_view w) { return contains_icase(text, w); }))
    return std::string(text);
  std::string out(text);
  for (const auto& p : patterns()) out = std::regex_replace(out, p.re, p.replacement);
  return out;
}

}  // namespace plugboard::log

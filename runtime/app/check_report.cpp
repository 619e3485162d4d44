#include "app/check_report.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace plugboard::app {
namespace {

namespace json = boost::json;

// Length of the valid UTF-8 sequence at `i`, or 0.
std::size_t utf8_length(const std::string& s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const std::size_t n = c >= 0xC2 && c <= 0xDF   ? 2
                        : c >= 0xE0 && c <= 0xEF ? 3
                        : c >= 0xF0 && c <= 0xF4 ? 4
                                                 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  return n;
}

}  // namespace

// Escaping keeps a report one readable line per check and its JSON valid.

std::string printable(const std::string& s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += s[i++];
    } else if (std::size_t n = c >= 0x80 ? utf8_length(s, i) : 0; n > 0) {
      out.append(s, i, n);
      i += n;
    } else {
      out += std::string("\\x") + hex[c >> 4] + hex[c & 15];
      ++i;
    }
  }
  return out;
}

const char* status_name(CheckStatus s) {
  return s == CheckStatus::pass ? "PASS" : s == CheckStatus::fail ? "FAIL" : "WARN";
}

void CheckReport::add(CheckStatus s, std::string check, const std::string& subject,
                      const std::string& reason) {
  lines.push_back({s, std::move(check), printable(subject), printable(reason)});
}

void print_report_text(const std::vector<CheckReport>& reports, std::ostream& out) {
  for (const auto& r : reports) {
    out << printable(r.manifest.string()) << (r.id.empty() ? "" : " (" + r.id + ")") << "\n";
    for (const auto& l : r.lines)
      out << "  " << status_name(l.status) << " " << l.check
          << std::string(9 - std::min<std::size_t>(l.check.size(), 8), ' ') << l.subject << ": " << l.reason
          << "\n";
  }
}

json::value report_json(const std::vector<CheckReport>& reports) {
  json::array plugins;
  for (const auto& r : reports) {
    json::array checks;
    for (const auto& l : r.lines)
      checks.push_back({{"status", status_name(l.status)},
                        {"check", l.check},
                        {"subject", l.subject},
                        {"reason", l.reason}});
    plugins.push_back(
        {{"manifest", printable(r.manifest.string())}, {"id", r.id}, {"checks", std::move(checks)}});
  }
  return json::object{{"plugins", std::move(plugins)}};
}

}  // namespace plugboard::app

#include "observability/prometheus_text.hpp"

#include <charconv>
#include <cmath>

namespace plugboard::observability {
namespace {

void append_escaped(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

void append_name_and_labels(std::string& out, std::string_view name, std::span<const Label> labels) {
  out += name;
  if (labels.empty()) return;
  out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    append_escaped(out, v);
    out += '"';
  }
  out += '}';
}

}  // namespace

void append_header(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

std::string format_number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);  // never 5e-04
  return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

void append_sample(std::string& out, std::string_view name, std::span<const Label> labels,
                   std::string_view value) {
  append_name_and_labels(out, name, labels);
  out += ' ';
  out += value;
  out += '\n';
}

void append_sample(std::string& out, std::string_view name, std::initializer_list<Label> labels,
                   double value) {
  append_sample(out, name, std::span<const Label>(labels.begin(), labels.size()), format_number(value));
}

void append_sample(std::string& out, std::string_view name, std::initializer_list<Label> labels,
                   std::uint64_t value) {
  append_sample(out, name, std::span<const Label>(labels.begin(), labels.size()), std::to_string(value));
}

}  // namespace plugboard::observability

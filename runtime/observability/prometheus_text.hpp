// Helpers for Prometheus' text exposition format (version 0.0.4), written by hand so that
// /metrics needs no client library: label escaping and number rendering.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace plugboard::observability {

using Label = std::pair<std::string_view, std::string_view>;

// "# HELP name help\n# TYPE name type\n"
void append_header(std::string& out, std::string_view name, std::string_view help, std::string_view type);

// name{k="v",...} value\n, with label values escaped (backslash, quote, newline).
void append_sample(std::string& out, std::string_view name, std::span<const Label> labels,
                   std::string_view value);
void append_sample(std::string& out, std::string_view name, std::initializer_list<Label> labels,
                   double value);
void append_sample(std::string& out, std::string_view name, std::initializer_list<Label> labels,
                   std::uint64_t value);

// Shortest text that reads back as the same double; "+Inf" for infinity.
std::string format_number(double v);

}  // namespace plugboard::observability

#include "log/line_formatter.hpp"

#include "log/redact.hpp"
#include "log/request_scope.hpp"

#include <spdlog/details/log_msg.h>

#include <chrono>
#include <ctime>

namespace plugboard::log {
namespace {

void append(spdlog::memory_buf_t& dest, std::string_view s) { dest.append(s.data(), s.data() + s.size()); }

void append_timestamp(spdlog::memory_buf_t& dest, spdlog::log_clock::time_point t) {
  const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
  const std::time_t tt = spdlog::log_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  append(dest, std::string_view(buf, n));
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms));
  append(dest, frac);
}

// JSON string contents: quotes, backslashes and control characters escaped; other bytes as
// they are (messages are UTF-8, and a stray byte must not drop the line).
void append_json_string(spdlog::memory_buf_t& dest, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  dest.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        append(dest, "\\\"");
        break;
      case '\\':
        append(dest, "\\\\");
        break;
      case '\n':
        append(dest, "\\n");
        break;
      case '\r':
        append(dest, "\\r");
        break;
      case '\t':
        append(dest, "\\t");
        break;
      default:
        if (c < 0x20) {
          const char esc[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
          append(dest, std::string_view(esc, sizeof esc));
        } else {
          dest.push_back(static_cast<char>(c));
        }
    }
  }
  dest.push_back('"');
}

std::string_view level_name(spdlog::level::level_enum level) {
  const auto& name = spdlog::level::to_string_view(level);
  return std::string_view(name.data(), name.size());
}

class TextFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    append_timestamp(dest, msg.time);
    dest.push_back(' ');
    append(dest, level_name(msg.level));
    dest.push_back(' ');
    const std::string text = redact(std::string_view(msg.payload.data(), msg.payload.size()));
    // Plugin lines already name their request; do not say it twice.
    if (auto id = current_request_id(); !id.empty() && text.find("request_id=") == std::string::npos) {
      append(dest, "request_id=");
      append(dest, id);
      dest.push_back(' ');
    }
    append(dest, text);
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<TextFormatter>(); }
};

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    append(dest, "{\"ts\":\"");
    append_timestamp(dest, msg.time);
    append(dest, "\",\"level\":");
    append_json_string(dest, level_name(msg.level));
    if (auto id = current_request_id(); !id.empty()) {
      append(dest, ",\"request_id\":");
      append_json_string(dest, id);
    }
    append(dest, ",\"msg\":");
    append_json_string(dest, redact(std::string_view(msg.payload.data(), msg.payload.size())));
    append(dest, "}\n");
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_formatter(Format format) {
  if (format == Format::json) return std::make_unique<JsonFormatter>();
  return std::make_unique<TextFormatter>();
}

}  // namespace plugboard::log

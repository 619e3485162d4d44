#include "log/setup.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace plugboard::log {

void setup(const std::string& level, Format format) {
  // Plain (uncoloured) stderr: colour codes would break JSON lines and log files alike.
  spdlog::drop("plugboard");
  auto logger = spdlog::stderr_logger_mt("plugboard");
  logger->set_formatter(make_formatter(format));
  spdlog::set_default_logger(std::move(logger));
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::flush_on(spdlog::level::warn);
}

void flush_logs() {
  if (auto logger = spdlog::default_logger()) logger->flush();
}

}  // namespace plugboard::log

#include "execute/execute_error.hpp"

#include <string_view>
#include <utility>

namespace plugboard::execute {

int ExecuteError::http_status() const {
  static constexpr std::pair<std::string_view, int> kTable[] = {
      {"INVALID_REQUEST", 400},      {"MISSING_REQUIRED_FIELDS", 400},
      {"UNAUTHORIZED", 401},         {"INVALID_API_KEY", 401},
      {"ACCESS_DENIED", 403},        {"CONNECTION_MISMATCH", 403},
      {"CONNECTION_NOT_FOUND", 404}, {"INTEGRATION_NOT_FOUND", 404},
      {"ACTION_NOT_FOUND", 404},     {"CONNECTION_INACTIVE", 400},
      {"NO_CREDENTIALS", 500},       {"CREDENTIAL_DECRYPTION_FAILED", 500},
      {"EXECUTION_FAILED", 500},     {"RATE_LIMITED", 429},
      {"PAYLOAD_TOO_LARGE", 413},
  };
  for (const auto& [c, status] : kTable)
    if (c == code) return status;
  return 500;
}

}  // namespace plugboard::execute

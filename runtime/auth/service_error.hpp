// A refusal a service reports to its caller, in the API's error vocabulary (API.md):
// validation_error, not_found, conflict, forbidden. The HTTP layer renders it as it is.
#pragma once

#include <stdexcept>
#include <string>

namespace plugboard {

struct ServiceError : std::runtime_error {
  ServiceError(std::string code_, const std::string& message, std::string field_ = {})
      : std::runtime_error(message), code(std::move(code_)), field(std::move(field_)) {}
  std::string code;   // validation_error, not_found, conflict, forbidden
  std::string field;  // the request field at fault, when there is one

  static ServiceError invalid(std::string field, const std::string& message) {
    return {"validation_error", message, std::move(field)};
  }
  static ServiceError not_found(const std::string& what) { return {"not_found", what + " not found"}; }
};

}  // namespace plugboard

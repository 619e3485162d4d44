// A connection's SMTP settings, read from its credentials (custom auth) and, for the non-secret
// ones, from its configuration; credentials win where both have a field.
#pragma once

#include <plugboard/sdk.hpp>

#include <string>

namespace smtp {

enum class TlsMode { starttls, implicit, none };

const char* tls_mode_name(TlsMode mode);

struct Settings {
  std::string host;
  int port = 0;
  std::string username;
  std::string password;  // never logged, never put in a message
  TlsMode tls = TlsMode::starttls;
  std::string from_email;
  std::string from_name;
  bool tls_verify = true;   // false: accept any certificate (unsafe; tests and lab servers)
  std::string tls_ca_file;  // PEM file of trusted CAs instead of the system's
  std::string tls_ca_pem;   // PEM text of trusted CAs instead of the system's
};

// Throws ActionError SMTP_NOT_CONFIGURED naming the field when a setting is missing or invalid.
Settings read_settings(const plugboard::Context& ctx);

}  // namespace smtp

// A small SMTP client (RFC 5321) over Boost.Asio, with STARTTLS (RFC 3207) or implicit TLS
// (RFC 8314) through OpenSSL, AUTH PLAIN or LOGIN (RFC 4954), and multi-line replies. Every
// network step is bounded by the call's deadline (ctx.remaining() when the session opens).
//
// Failures are thrown as plugboard::ActionError:
//   SMTP_UNREACHABLE        resolve/connect/I-O failure          retryable
//   SMTP_TLS_FAILED         handshake or certificate failure     not retryable
//   SMTP_TLS_UNAVAILABLE    STARTTLS configured, not offered      not retryable
//   SMTP_AUTH_UNAVAILABLE   credentials given, AUTH not offered   not retryable
//   SMTP_AUTH_FAILED        AUTH refused (535...)                 retryable on 4xx
//   SMTP_TEMPORARY_FAILURE  any other 4xx reply                   retryable
//   SMTP_REJECTED           any other 5xx reply                   not retryable
//   SMTP_PROTOCOL_ERROR     a reply that is not SMTP              not retryable
//   DEADLINE_EXCEEDED       the deadline passed mid-session        retryable
// details carry stage, smtp_code and smtp_message where there is a reply. The password (and its
// base64 forms) is scrubbed from every message.
#pragma once

#include "settings.hpp"

#include <plugboard/sdk.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace smtp {

struct Reply {
  int code = 0;
  std::vector<std::string> lines;  // text after "250-" / "250 "
  std::string text() const;        // lines joined with "; "
};

class Client {
 public:
  Client(const Settings& settings, const plugboard::Context& ctx);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Connects, reads the greeting, EHLO; STARTTLS and EHLO again when configured; AUTH when the
  // settings have an account.
  void open();
  void mail_from(const std::string& address);
  // The server's reply to RCPT TO; transport failures throw.
  Reply rcpt_to(const std::string& address);
  // DATA, the dot-stuffed message, "."; returns the final reply (250 ... queued as ...).
  Reply data(const std::string& message);
  // QUIT, best effort: never throws.
  void quit() noexcept;

  // The name the server gave in its EHLO reply.
  const std::string& server_name() const;
  // "PLAIN", "LOGIN", or "" when no AUTH was done.
  const std::string& auth_mechanism() const;
  // The server's SIZE limit, when it announced one.
  std::optional<std::uint64_t> size_limit() const;

  // An ActionError for an unexpected reply at `stage` (see the table above).
  plugboard::ActionError reply_error(const Reply& reply, const std::string& stage) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace smtp

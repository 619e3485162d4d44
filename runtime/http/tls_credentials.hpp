// The server's TLS certificate chain and key, swappable while serving. The listening context
// asks for them at every handshake (OpenSSL's certificate callback), so a reload takes effect
// for new connections at once and connections already open keep what they negotiated. A
// reload that fails (missing file, bad PEM, key not matching the certificate) changes nothing.
#pragma once

#include <memory>
#include <mutex>
#include <string>

struct ssl_st;      // OpenSSL's SSL
struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace plugboard::http {

class TlsCredentials {
 public:
  // Loads both files now. Throws TlsConfigError (listen_socket.hpp) naming the file and the reason.
  TlsCredentials(std::string cert_file, std::string key_file);
  ~TlsCredentials();
  TlsCredentials(const TlsCredentials&) = delete;
  TlsCredentials& operator=(const TlsCredentials&) = delete;

  // Reads the files again; on failure keeps the current pair and throws TlsConfigError.
  void reload();
  // Makes every later handshake on `ctx` use the current pair. The context must not outlive this.
  void serve_from(ssl_ctx_st* ctx);
  // The current certificate's subject and serial (for the log after a reload).
  std::string describe() const;

  struct Pair;

 private:
  static int on_handshake(ssl_st* ssl, void* self);
  std::shared_ptr<const Pair> current() const;

  const std::string cert_file_;
  const std::string key_file_;
  mutable std::mutex mu_;
  std::shared_ptr<const Pair> pair_;
};

}  // namespace plugboard::http

// The socket the server listens on: plain TCP, or TLS (NetSSL) when a certificate and key are
// configured. TLS handshakes run lazily on the worker thread that serves the connection, so a
// client that connects and stalls holds one worker until the I/O timeout, never the acceptor.
#pragma once

#include <Poco/Net/ServerSocket.h>

#include <stdexcept>
#include <string>

namespace plugboard::http {

struct ServerOptions;
class TlsCredentials;

// The certificate or key cannot be used. The message names the file and the reason.
struct TlsConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Binds and listens. With TLS, handshakes take the certificate and key from `credentials`
// (which must outlive the socket), so they can be replaced while serving. Throws
// TlsConfigError, or Poco's exception when the address is taken.
Poco::Net::ServerSocket listen_socket(const ServerOptions& options, TlsCredentials* credentials);

}  // namespace plugboard::http

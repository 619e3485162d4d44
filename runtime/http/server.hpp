// The Poco HTTP server: a sized thread pool, keep-alive, timeouts, and one dispatcher that
// gives every request an id, routes it, authenticates it and turns failures into API.md errors.
#pragma once

#include "http/request_deadlines.hpp"
#include "http/router.hpp"
#include "http/services.hpp"
#include "http/tls_credentials.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
}  // namespace Poco

namespace plugboard::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port (see Server::port())
  int threads = 128;          // an idle kept-alive client holds a thread: size for the clients
  int max_queued = 1024;
  int keep_alive_timeout_s = 15;
  int io_timeout_s = 30;  // a client slower than this is dropped
  // A request (headers and body) must arrive within this, however steadily it trickles.
  int request_timeout_s = 60;
  std::size_t max_body_bytes = std::size_t{10} * 1024 * 1024;
  // HTTPS when both are set (PEM files; the key unencrypted). See listen_socket.hpp.
  std::string tls_cert_file;
  std::string tls_key_file;
  bool tls() const { return !tls_cert_file.empty(); }
  const char* scheme() const { return tls() ? "https" : "http"; }
};

class Server {
 public:
  Server(ServerOptions options, Services services);
  ~Server();
  void start();
  // Stops accepting and waits for every in-flight request to be answered (each is bounded by
  // its execute deadline and the I/O timeout); idle kept-alive connections are then closed.
  void stop();
  std::uint16_t port() const;
  // HTTPS only: reads the certificate and key files again for new connections. Throws
  // TlsConfigError and keeps the current pair when the new files are not usable.
  void reload_tls();
  const Router& router() const { return router_; }

 private:
  ServerOptions options_;
  Services services_;
  Router router_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<RequestDeadlines> deadlines_;
  std::unique_ptr<TlsCredentials> tls_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

// Authenticates from X-API-Key or Authorization: Bearer. Sets ex.principal on success.
// Returns "unauthorized" when no key was presented, "invalid" when it is not valid, "" on success.
std::string authenticate(Exchange& ex, auth::ApiKeyService& keys);

// Spends one request of the authenticated key's rate limit (once per request, before the
// route runs). Sets X-RateLimit-Limit/-Remaining for a limited key, and Retry-After when it
// refuses; the caller answers in its own envelope (rate_limited, or execute's RATE_LIMITED).
auth::RateDecision take_rate_limit(Exchange& ex, auth::RateLimiter& limits);

}  // namespace plugboard::http

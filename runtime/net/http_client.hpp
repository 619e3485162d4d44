// The HTTP client behind the plugins' http_request service: one pool of kept-alive
// connections per origin (scheme, host, port), plain or TLS through NetSSL, reused across
// calls and threads, so an execute costs no TCP or TLS handshake once the pool is warm.
// HTTP/1.1 is spoken directly over Poco's sockets (request written with one send, response
// parsed from one reused buffer): this is the execute path's one upstream exchange, and
// Poco's HTTPClientSession cost twice the instructions and three setsockopt calls a request.
#pragma once

#include <Poco/Net/Context.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace plugboard::net {

struct OutboundRequest {
  std::string method;
  std::string url;  // absolute
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct OutboundResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  // The header's value, or an empty string.
  std::string header(std::string_view lower_name) const;
};

// Transport failures: connect, TLS, I/O, timeout, bad URL.
struct TransportError : std::runtime_error {
  enum class Kind { transport, timeout, bad_url };
  TransportError(Kind k, const std::string& what) : std::runtime_error(what), kind(k) {}
  Kind kind;
};

struct HttpClientOptions {
  std::size_t max_idle_per_origin = 64;
  std::chrono::seconds idle_timeout{30};
  std::int64_t max_response_bytes = 64LL * 1024 * 1024;  // refuse larger bodies
  // Extra trusted CAs (a PEM file) beside the system's, for providers behind a private CA.
  std::string ca_file;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One exchange, bounded by `timeout`. Throws TransportError. A session whose kept-alive
  // connection turns out to be closed by the peer is retried once on a fresh connection,
  // since nothing reached the server.
  OutboundResponse send(const OutboundRequest& request, std::chrono::milliseconds timeout);

 private:
  struct Origin {
    std::string scheme, host;
    std::uint16_t port = 0;
    std::string key() const { return scheme + "://" + host + ":" + std::to_string(port); }
  };
  struct Connection;  // one kept-alive socket and what has been read from it

  static Origin parse_origin(const std::string& url, std::string& path_and_query);
  std::unique_ptr<Connection> acquire(const std::string& key);
  std::unique_ptr<Connection> connect(const Origin& origin, std::chrono::milliseconds timeout) const;
  void release(const std::string& key, std::unique_ptr<Connection> c);
  OutboundResponse exchange(Connection& c, const Origin& origin, const OutboundRequest& request,
                            const std::string& path, std::chrono::steady_clock::time_point deadline,
                            bool& reusable) const;

  HttpClientOptions options_;
  Poco::Net::Context::Ptr tls_;  // one TLS context for every outbound connection
  std::mutex mutex_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
};

}  // namespace plugboard::net

// The HTTP client behind the plugins' http_request service: one pool of kept-alive sessions
// per origin (scheme, host, port), plain or TLS through NetSSL. Sessions are reused across
// calls and threads, so an execute costs no TCP or TLS handshake once the pool is warm.
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

namespace Poco::Net {
class HTTPClientSession;
}

namespace plugboard::execute {

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
  struct Pool;
  static Origin parse_origin(const std::string& url, std::string& path_and_query);
  std::unique_ptr<Poco::Net::HTTPClientSession> acquire(const Origin& origin);
  void release(const Origin& origin, std::unique_ptr<Poco::Net::HTTPClientSession> session);
  OutboundResponse exchange(Poco::Net::HTTPClientSession& session, const OutboundRequest& request,
                            const std::string& path, std::chrono::milliseconds timeout) const;

  HttpClientOptions options_;
  Poco::Net::Context::Ptr tls_;  // one TLS context for every outbound session
  std::mutex mutex_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>>> idle_;
};

}  // namespace plugboard::execute

#include "net/http_client.hpp"

#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace plugboard::net {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kMaxHeaderBytes = std::size_t{64} * 1024;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool has_token(std::string_view list, std::string_view token) {
  std::string l = lower(std::string(list));
  return l.find(token) != std::string::npos;
}

// System CAs plus the operator's own; the peer's certificate and host name are verified.
Poco::Net::Context::Ptr client_tls_context(const std::string& ca_file) {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
  return Poco::Net::Context::Ptr(new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", ca_file,
                                                        Poco::Net::Context::VERIFY_RELAXED, 9, true,
                                                        "HIGH:!aNULL:!MD5:!RC4"));
}

milliseconds left_until(Clock::time_point deadline) {
  return std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
}

// Thrown when a reused connection turns out to be closed before any of the response came:
// the request never reached a server that processed it, so it may be sent again.
struct StaleConnection {};

}  // namespace

struct HttpClient::Connection {
  std::unique_ptr<Poco::Net::StreamSocket> socket;
  std::string buf;  // bytes received and not yet consumed, from `pos`
  std::size_t pos = 0;
  bool reused = false;
  Clock::time_point idle_since;
  milliseconds applied_timeout{0};

  // Socket timeouts cost a system call each; re-apply only when the deadline needs it (at most
  // 50 ms late) or the old value is far too short.
  void bound_by(Clock::time_point deadline) {
    auto left = left_until(deadline);
    if (left.count() <= 0) throw TransportError(TransportError::Kind::timeout, "timed out");
    if (applied_timeout.count() == 0 || left + milliseconds(50) < applied_timeout ||
        left > applied_timeout + milliseconds(1000)) {
      socket->setReceiveTimeout(Poco::Timespan(left.count() * 1000));
      socket->setSendTimeout(Poco::Timespan(left.count() * 1000));
      applied_timeout = left;
    }
  }

  // Reads more bytes; false at end of stream.
  bool fill(Clock::time_point deadline) {
    bound_by(deadline);
    if (pos > 0 && pos == buf.size()) {
      buf.clear();
      pos = 0;
    }
    char chunk[16384];
    int n = socket->receiveBytes(chunk, sizeof chunk);
    if (n <= 0) return false;
    buf.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  void send_all(std::string_view data, Clock::time_point deadline) {
    while (!data.empty()) {
      bound_by(deadline);
      int n = socket->sendBytes(data.data(), static_cast<int>(std::min<std::size_t>(data.size(), 1 << 20)));
      if (n <= 0) throw TransportError(TransportError::Kind::transport, "connection closed while sending");
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // One CRLF-terminated line (without the CRLF).
  std::string_view line(Clock::time_point deadline, std::size_t limit) {
    for (;;) {
      auto eol = buf.find("\r\n", pos);
      if (eol != std::string::npos) {
        std::string_view l(buf.data() + pos, eol - pos);
        pos = eol + 2;
        return l;
      }
      if (buf.size() - pos > limit)
        throw TransportError(TransportError::Kind::transport, "response line too long");
      if (!fill(deadline))
        throw TransportError(TransportError::Kind::transport, "connection closed mid-response");
    }
  }

  // Appends exactly n bytes of the stream to out.
  void take(std::size_t n, std::string& out, Clock::time_point deadline) {
    while (n > 0) {
      if (pos == buf.size() && !fill(deadline))
        throw TransportError(TransportError::Kind::transport, "connection closed mid-body");
      std::size_t k = std::min(n, buf.size() - pos);
      out.append(buf, pos, k);
      pos += k;
      n -= k;
    }
  }
};

std::string OutboundResponse::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return {};
}

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), tls_(client_tls_context(options_.ca_file)) {}
HttpClient::~HttpClient() = default;

HttpClient::Origin HttpClient::parse_origin(const std::string& url, std::string& path_and_query) {
  using Kind = TransportError::Kind;
  Origin o;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) throw TransportError(Kind::bad_url, "URL has no scheme: " + url);
  o.scheme = lower(url.substr(0, scheme_end));
  if (o.scheme != "http" && o.scheme != "https")
    throw TransportError(Kind::bad_url, "unsupported URL scheme " + o.scheme);
  auto host_begin = scheme_end + 3;
  auto path_begin = url.find_first_of("/?#", host_begin);
  std::string authority =
      url.substr(host_begin, path_begin == std::string::npos ? std::string::npos : path_begin - host_begin);
  if (authority.find('@') != std::string::npos)
    throw TransportError(Kind::bad_url, "URLs with user info are not allowed");
  o.port = o.scheme == "https" ? 443 : 80;
  std::string host = authority;
  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {  // IPv6 literal
    auto close = authority.find(']');
    if (close == std::string::npos) throw TransportError(Kind::bad_url, "bad IPv6 host in " + url);
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') throw TransportError(Kind::bad_url, "bad host in " + url);
      port_text = authority.substr(close + 2);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  if (!port_text.empty()) {
    int port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port <= 0 || port > 65535)
      throw TransportError(Kind::bad_url, "bad port in " + url);
    o.port = static_cast<std::uint16_t>(port);
  }
  if (host.empty()) throw TransportError(Kind::bad_url, "URL has no host: " + url);
  if (host.find_first_of(" \r\n\t/\\") != std::string::npos)
    throw TransportError(Kind::bad_url, "bad host in " + url);
  o.host = lower(host);
  path_and_query = path_begin == std::string::npos ? "/" : url.substr(path_begin);
  if (auto hash = path_and_query.find('#'); hash != std::string::npos) path_and_query.resize(hash);
  if (path_and_query.empty() || path_and_query.front() != '/') path_and_query.insert(0, "/");
  if (path_and_query.find_first_of(" \r\n") != std::string::npos)
    throw TransportError(Kind::bad_url, "URL path contains spaces or line breaks");
  return o;
}

std::unique_ptr<HttpClient::Connection> HttpClient::acquire(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto& pool = it->second;
  while (!pool.empty()) {
    auto c = std::move(pool.back());
    pool.pop_back();
    if (Clock::now() - c->idle_since < options_.idle_timeout) return c;
  }
  return nullptr;
}

std::unique_ptr<HttpClient::Connection> HttpClient::connect(const Origin& origin,
                                                            milliseconds timeout) const {
  auto c = std::make_unique<Connection>();
  Poco::Net::SocketAddress address(origin.host, origin.port);
  const Poco::Timespan connect_timeout(std::max<std::int64_t>(timeout.count(), 1) * 1000);
  if (origin.scheme == "https") {
    auto s = std::make_unique<Poco::Net::SecureStreamSocket>(tls_);
    s->setPeerHostName(origin.host);  // SNI, and the name the certificate must carry
    s->connect(address, connect_timeout);
    c->socket = std::move(s);
  } else {
    c->socket = std::make_unique<Poco::Net::StreamSocket>();
    c->socket->connect(address, connect_timeout);
  }
  c->socket->setNoDelay(true);
  return c;
}

void HttpClient::release(const std::string& key, std::unique_ptr<Connection> c) {
  c->idle_since = Clock::now();
  c->reused = true;
  std::lock_guard lock(mutex_);
  auto& pool = idle_[key];
  if (pool.size() < options_.max_idle_per_origin) pool.push_back(std::move(c));
}

OutboundResponse HttpClient::exchange(Connection& c, const Origin& origin, const OutboundRequest& request,
                                      const std::string& path, Clock::time_point deadline,
                                      bool& reusable) const {
  // The request line and headers, then the body; one send when the body is small.
  std::string head;
  head.reserve(256 + (request.body.size() < 65536 ? request.body.size() : 0));
  head += request.method;
  head += ' ';
  head += path;
  head += " HTTP/1.1\r\nHost: ";
  head += origin.host.find(':') != std::string::npos ? "[" + origin.host + "]" : origin.host;
  if (origin.port != (origin.scheme == "https" ? 443 : 80)) head += ":" + std::to_string(origin.port);
  head += "\r\n";
  bool has_length = false;
  for (const auto& [k, v] : request.headers) {
    if (k.find_first_of(":\r\n") != std::string::npos || v.find_first_of("\r\n") != std::string::npos)
      throw TransportError(TransportError::Kind::bad_url, "header " + k + " contains a line break");
    std::string name = lower(k);
    if (name == "host" || name == "connection" || name == "transfer-encoding") continue;
    if (name == "content-length") {
      has_length = true;
      continue;
    }
    head += k;
    head += ": ";
    head += v;
    head += "\r\n";
  }
  if (!request.body.empty() || has_length || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH")
    head += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  head += "\r\n";
  try {
    if (request.body.size() < 65536) {
      head += request.body;
      c.send_all(head, deadline);
    } else {
      c.send_all(head, deadline);
      c.send_all(request.body, deadline);
    }
  } catch (const Poco::Net::NetException&) {
    if (c.reused) throw StaleConnection{};
    throw;
  }

  OutboundResponse r;
  bool keep_alive = true;
  // Status line, skipping interim 1xx answers.
  for (bool first = true;; first = false) {
    std::string_view status_line;
    if (first && c.reused && c.pos == c.buf.size()) {
      bool got = false;
      try {
        got = c.fill(deadline);
      } catch (const Poco::Net::NetException&) {
        throw StaleConnection{};
      }
      if (!got) throw StaleConnection{};
    }
    status_line = c.line(deadline, kMaxHeaderBytes);
    if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1.")
      throw TransportError(TransportError::Kind::transport, "not an HTTP/1.x response");
    const bool http10 = status_line[7] == '0';
    int status = 0;
    std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
    if (status < 100 || status > 599)
      throw TransportError(TransportError::Kind::transport, "bad HTTP status");
    r.headers.clear();
    std::size_t header_bytes = 0;
    for (;;) {
      std::string_view l = c.line(deadline, kMaxHeaderBytes);
      if (l.empty()) break;
      header_bytes += l.size();
      if (header_bytes > kMaxHeaderBytes)
        throw TransportError(TransportError::Kind::transport, "response headers too large");
      auto colon = l.find(':');
      if (colon == std::string_view::npos) continue;
      r.headers.emplace_back(lower(std::string(trim(l.substr(0, colon)))),
                             std::string(trim(l.substr(colon + 1))));
    }
    r.status = status;
    const std::string conn_header = r.header("connection");
    keep_alive = http10 ? has_token(conn_header, "keep-alive") : !has_token(conn_header, "close");
    if (status >= 200 || status == 101) break;
  }

  // The body: none, chunked, by length, or up to the end of the connection.
  auto check_size = [&] {
    if (static_cast<std::int64_t>(r.body.size()) > options_.max_response_bytes)
      throw TransportError(TransportError::Kind::transport,
                           "response body exceeds " + std::to_string(options_.max_response_bytes) + " bytes");
  };
  const std::string te = r.header("transfer-encoding");
  const std::string cl = r.header("content-length");
  if (request.method == "HEAD" || r.status == 204 || r.status == 304) {
    // no body
  } else if (has_token(te, "chunked")) {
    for (;;) {
      std::string_view size_line = c.line(deadline, 1024);
      std::size_t size = 0;
      auto [ptr, ec] = std::from_chars(size_line.data(), size_line.data() + size_line.size(), size, 16);
      if (ec != std::errc()) throw TransportError(TransportError::Kind::transport, "bad chunk size");
      if (size == 0) {
        while (!c.line(deadline, kMaxHeaderBytes).empty()) {
        }  // trailers
        break;
      }
      if (static_cast<std::int64_t>(r.body.size() + size) > options_.max_response_bytes) check_size();
      c.take(size, r.body, deadline);
      check_size();
      if (!c.line(deadline, 2).empty())
        throw TransportError(TransportError::Kind::transport, "bad chunk end");
    }
  } else if (!cl.empty()) {
    std::int64_t length = -1;
    auto [ptr, ec] = std::from_chars(cl.data(), cl.data() + cl.size(), length);
    if (ec != std::errc() || length < 0)
      throw TransportError(TransportError::Kind::transport, "bad Content-Length");
    if (length > options_.max_response_bytes) {
      r.body.resize(static_cast<std::size_t>(options_.max_response_bytes) + 1);
      check_size();
    }
    r.body.reserve(static_cast<std::size_t>(length));
    c.take(static_cast<std::size_t>(length), r.body, deadline);
  } else {
    keep_alive = false;
    for (;;) {
      r.body.append(c.buf, c.pos, std::string::npos);
      c.pos = c.buf.size();
      check_size();
      if (!c.fill(deadline)) break;
    }
  }
  reusable = keep_alive && c.pos == c.buf.size();  // leftover bytes would corrupt the next exchange
  return r;
}

OutboundResponse HttpClient::send(const OutboundRequest& request, milliseconds timeout) {
  std::string path;
  const Origin origin = parse_origin(request.url, path);
  const std::string key = origin.key();
  const auto deadline = Clock::now() + timeout;
  for (int attempt = 0;; ++attempt) {
    try {
      auto c = attempt == 0 ? acquire(key) : nullptr;
      if (!c) c = connect(origin, left_until(deadline));
      bool reusable = false;
      OutboundResponse r = exchange(*c, origin, request, path, deadline, reusable);
      if (reusable) release(key, std::move(c));
      return r;
    } catch (const StaleConnection&) {
      if (attempt == 0) continue;  // a kept-alive connection the peer had closed: once more, fresh
      throw TransportError(TransportError::Kind::transport,
                           origin.host + ": connection closed before a response");
    } catch (const TransportError&) {
      throw;
    } catch (const Poco::TimeoutException&) {
      throw TransportError(TransportError::Kind::timeout, "timed out talking to " + origin.host);
    } catch (const Poco::Exception& e) {
      throw TransportError(TransportError::Kind::transport, origin.host + ": " + e.displayText());
    } catch (const std::exception& e) {
      throw TransportError(TransportError::Kind::transport, origin.host + ": " + e.what());
    }
  }
}

}  // namespace plugboard::net

#include "execute/http_client.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Timespan.h>

#include <algorithm>
#include <cctype>
#include <istream>
#include <mutex>
#include <ostream>

namespace plugboard::execute {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// System CAs plus the operator's own; the peer's certificate and host name are verified.
Poco::Net::Context::Ptr client_tls_context(const std::string& ca_file) {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
  return Poco::Net::Context::Ptr(new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", ca_file,
                                                        Poco::Net::Context::VERIFY_RELAXED, 9, true,
                                                        "HIGH:!aNULL:!MD5:!RC4"));
}

}  // namespace

std::string OutboundResponse::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return {};
}

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), tls_(client_tls_context(options_.ca_file)) {}
HttpClient::~HttpClient() = default;

HttpClient::Origin HttpClient::parse_origin(const std::string& url, std::string& path_and_query) {
  Origin o;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    throw TransportError(TransportError::Kind::bad_url, "URL has no scheme: " + url);
  o.scheme = lower(url.substr(0, scheme_end));
  if (o.scheme != "http" && o.scheme != "https")
    throw TransportError(TransportError::Kind::bad_url, "unsupported URL scheme " + o.scheme);
  auto host_begin = scheme_end + 3;
  auto path_begin = url.find_first_of("/?#", host_begin);
  std::string authority =
      url.substr(host_begin, path_begin == std::string::npos ? std::string::npos : path_begin - host_begin);
  if (authority.find('@') != std::string::npos)
    throw TransportError(TransportError::Kind::bad_url, "URLs with user info are not allowed");
  o.port = o.scheme == "https" ? 443 : 80;
  std::string host = authority;
  if (!authority.empty() && authority.front() == '[') {  // IPv6 literal
    auto close = authority.find(']');
    if (close == std::string::npos)
      throw TransportError(TransportError::Kind::bad_url, "bad IPv6 host in " + url);
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      o.port = static_cast<std::uint16_t>(std::stoi(authority.substr(close + 2)));
  } else if (auto colon = authority.rfind(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    int port = 0;
    try {
      port = std::stoi(authority.substr(colon + 1));
    } catch (...) {
      port = 0;
    }
    if (port <= 0 || port > 65535) throw TransportError(TransportError::Kind::bad_url, "bad port in " + url);
    o.port = static_cast<std::uint16_t>(port);
  }
  if (host.empty()) throw TransportError(TransportError::Kind::bad_url, "URL has no host: " + url);
  o.host = lower(host);
  path_and_query = path_begin == std::string::npos ? "/" : url.substr(path_begin);
  if (auto hash = path_and_query.find('#'); hash != std::string::npos) path_and_query.resize(hash);
  if (path_and_query.empty() || path_and_query.front() != '/') path_and_query.insert(0, "/");
  return o;
}

std::unique_ptr<Poco::Net::HTTPClientSession> HttpClient::acquire(const Origin& origin) {
  {
    std::lock_guard lock(mutex_);
    auto it = idle_.find(origin.key());
    if (it != idle_.end() && !it->second.empty()) {
      auto s = std::move(it->second.back());
      it->second.pop_back();
      return s;
    }
  }
  std::unique_ptr<Poco::Net::HTTPClientSession> s;
  if (origin.scheme == "https")
    s = std::make_unique<Poco::Net::HTTPSClientSession>(origin.host, origin.port, tls_);
  else
    s = std::make_unique<Poco::Net::HTTPClientSession>(origin.host, origin.port);
  s->setKeepAlive(true);
  s->setKeepAliveTimeout(Poco::Timespan(static_cast<long>(options_.idle_timeout.count()), 0));
  return s;
}

void HttpClient::release(const Origin& origin, std::unique_ptr<Poco::Net::HTTPClientSession> s) {
  std::lock_guard lock(mutex_);
  auto& pool = idle_[origin.key()];
  if (pool.size() < options_.max_idle_per_origin) pool.push_back(std::move(s));
}

OutboundResponse HttpClient::exchange(Poco::Net::HTTPClientSession& session, const OutboundRequest& request,
                                      const std::string& path, std::chrono::milliseconds timeout) const {
  session.setTimeout(Poco::Timespan(std::max<std::int64_t>(timeout.count(), 1) * 1000));
  Poco::Net::HTTPRequest req(request.method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  req.setKeepAlive(true);
  for (const auto& [k, v] : request.headers) req.set(k, v);
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH")
    req.setContentLength(static_cast<std::streamsize>(request.body.size()));
  std::ostream& out = session.sendRequest(req);
  out.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));

  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  OutboundResponse result;
  result.status = static_cast<int>(resp.getStatus());
  for (const auto& [k, v] : resp) result.headers.emplace_back(lower(k), v);
  if (resp.hasContentLength() && resp.getContentLength64() > 0)
    result.body.reserve(static_cast<std::size_t>(
        std::min<std::int64_t>(resp.getContentLength64(), options_.max_response_bytes)));
  char buf[16384];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    result.body.append(buf, static_cast<std::size_t>(in.gcount()));
    if (static_cast<std::int64_t>(result.body.size()) > options_.max_response_bytes)
      throw TransportError(TransportError::Kind::transport,
                           "response body exceeds " + std::to_string(options_.max_response_bytes) + " bytes");
  }
  return result;
}

OutboundResponse HttpClient::send(const OutboundRequest& request, std::chrono::milliseconds timeout) {
  std::string path;
  Origin origin = parse_origin(request.url, path);
  const auto started = std::chrono::steady_clock::now();
  for (int attempt = 0;; ++attempt) {
    auto session = acquire(origin);
    const bool reused = session->connected();
    try {
      auto left = timeout - std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - started);
      if (left.count() <= 0) throw TransportError(TransportError::Kind::timeout, "timed out");
      OutboundResponse r = exchange(*session, request, path, left);
      if (r.header("connection") != "close") release(origin, std::move(session));
      return r;
    } catch (const TransportError&) {
      throw;
    } catch (const Poco::TimeoutException& e) {
      throw TransportError(TransportError::Kind::timeout, "timed out talking to " + origin.host);
    } catch (const Poco::Exception& e) {
      // A kept-alive connection the peer already closed fails before anything was processed.
      if (reused && attempt == 0) continue;
      throw TransportError(TransportError::Kind::transport, origin.host + ": " + e.displayText());
    } catch (const std::exception& e) {
      if (reused && attempt == 0) continue;
      throw TransportError(TransportError::Kind::transport, origin.host + ": " + e.what());
    }
  }
}

}  // namespace plugboard::execute

#include "http/server.hpp"

#include "auth/service_error.hpp"
#include "http/listen_socket.hpp"
#include "log/request_scope.hpp"
#include "store/repositories.hpp"
#include "vault/random.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>

namespace plugboard::http {
namespace {

// A client may name its own request id (for tracing across systems) if it is short and plain.
std::string request_id_for(const Poco::Net::HTTPServerRequest& req) {
  const std::string& given = req.get("X-Request-Id", "");
  if (!given.empty() && given.size() <= 64 && std::all_of(given.begin(), given.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '_' || c == '.';
      }))
    return given;
  return "req_" + vault::random_hex(12);
}

const char* operation_for(Access a) {
  switch (a) {
    case Access::read:
      return "read";
    case Access::write:
      return "write";
    case Access::execute:
      return "execute";
    case Access::admin:
      return "admin";
    default:
      return nullptr;
  }
}

class Dispatcher final : public Poco::Net::HTTPRequestHandler {
 public:
  Dispatcher(const Router& router, Services& services, std::size_t max_body, RequestDeadlines& deadlines)
      : router_(router), services_(services), max_body_(max_body), deadlines_(deadlines) {}

  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    const auto started = std::chrono::steady_clock::now();
    Exchange ex(req, resp, request_id_for(req), max_body_);
    const log::RequestScope scope(ex.request_id());  // every line logged from here names the request
    // Poco's server hands its handlers an HTTPServerRequestImpl, which knows its socket.
    const Poco::Net::StreamSocket& socket = static_cast<Poco::Net::HTTPServerRequestImpl&>(req).socket();
    ex.on_request_read([this, &socket] { deadlines_.request_read(socket); });
    handle(ex);
    deadlines_.response_sent(socket);
    if (auto* http = services_.metrics.http())
      http->observe(
          route_index_, static_cast<int>(resp.getStatus()),
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started));
    // The access line: debug, so the execute path pays nothing for it unless asked.
    if (spdlog::should_log(spdlog::level::debug))
      spdlog::debug(
          "{} {} {} {} ms", req.getMethod(), std::string_view(req.getURI()).substr(0, req.getURI().find('?')),
          static_cast<int>(resp.getStatus()),
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
              .count());
  }

 private:
  void handle(Exchange& ex) {
    auto& req = ex.request();
    try {
      dispatch(ex);
    } catch (const BodyTooLarge& e) {
      if (!ex.sent()) ex.send_error(413, "payload_too_large", e.what());
    } catch (const ServiceError& e) {
      if (!ex.sent()) ex.send_error(status_for(e.code), e.code, e.what(), e.field);
    } catch (const store::ConflictError& e) {
      if (!ex.sent()) ex.send_error(409, "conflict", e.what());
    } catch (const std::exception& e) {
      spdlog::error("request_id={} {} {} failed: {}", ex.request_id(), req.getMethod(), req.getURI(),
                    e.what());
      if (!ex.sent())
        ex.send_error(500, "internal", "internal error; see the server log for request " + ex.request_id());
    }
  }

  void dispatch(Exchange& ex) {
    std::string_view uri = ex.request().getURI();
    std::string_view path = uri.substr(0, uri.find('?'));
    const Route* route = nullptr;
    std::string allow;
    switch (router_.match(ex.method(), path, route, ex.params(), &allow)) {
      case Router::Outcome::no_path:
        return ex.send_error(404, "not_found", "no route for " + std::string(path));
      case Router::Outcome::wrong_method:
        ex.set_header("Allow", allow);
        return ex.send_error(405, "method_not_allowed",
                             "method " + ex.method() + " is not allowed on " + std::string(path));
      case Router::Outcome::matched:
        break;
    }
    route_index_ = static_cast<std::size_t>(route - router_.routes().data());
    if (const char* op = operation_for(route->access)) {
      std::string failure = authenticate(ex, services_.keys);
      if (failure == "unauthorized")
        return ex.send_error(401, "unauthorized", "an API key is required (X-API-Key header)");
      if (!failure.empty())
        return ex.send_error(401, "unauthorized", "the API key is invalid, revoked or expired");
      if (const auto limit = take_rate_limit(ex, services_.limits); !limit.allowed)
        return ex.send_error(
            429, "rate_limited",
            "the API key's rate limit is used up; retry after " + std::to_string(limit.retry_after_s) + " s");
      if (!ex.principal->can(op))
        return ex.send_error(403, "forbidden", std::string("the API key lacks the ") + op + " permission");
    }
    route->handler(ex);
  }

  const Router& router_;
  Services& services_;
  std::size_t max_body_;
  RequestDeadlines& deadlines_;
  std::size_t route_index_ = observability::HttpMetrics::kUnmatched;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(const Router& router, Services& services, std::size_t max_body, RequestDeadlines& deadlines)
      : router_(router), services_(services), max_body_(max_body), deadlines_(deadlines) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Dispatcher(router_, services_, max_body_, deadlines_);
  }

 private:
  const Router& router_;
  Services& services_;
  std::size_t max_body_;
  RequestDeadlines& deadlines_;
};

}  // namespace

std::string authenticate(Exchange& ex, auth::ApiKeyService& keys) {
  std::string key = ex.header("X-API-Key");
  if (key.empty()) {
    const std::string auth = ex.header("Authorization");
    if (auth.size() > 7 && (auth.compare(0, 7, "Bearer ") == 0 || auth.compare(0, 7, "bearer ") == 0))
      key = auth.substr(7);
  }
  if (key.empty()) return "unauthorized";
  ex.principal = keys.authenticate(key);
  return ex.principal ? "" : "invalid";
}

auth::RateDecision take_rate_limit(Exchange& ex, auth::RateLimiter& limits) {
  const auto d = limits.take(*ex.principal);
  if (d.limit == 0) return d;  // the key has no limit: no headers either
  ex.set_header("X-RateLimit-Limit", std::to_string(d.limit));
  ex.set_header("X-RateLimit-Remaining", std::to_string(d.remaining));
  if (!d.allowed) ex.set_header("Retry-After", std::to_string(d.retry_after_s));
  return d;
}

Server::Server(ServerOptions options, Services services) : options_(std::move(options)), services_(services) {
  add_health_routes(router_, services_);
  add_catalog_routes(router_, services_);
  add_execute_routes(router_, services_);
  add_tenancy_routes(router_, services_);
  add_api_key_routes(router_, services_);
  add_connection_routes(router_, services_);
  add_integration_routes(router_, services_);
  add_oauth_routes(router_, services_);
  add_audit_routes(router_, services_);
  add_event_routes(router_, services_);
  add_webhook_routes(router_, services_);
  add_trigger_routes(router_, services_);
  add_automation_routes(router_, services_);
  add_execution_routes(router_, services_);
  add_usage_routes(router_, services_);
  add_metrics_routes(router_, services_);
  add_openapi_routes(router_, services_);
  std::vector<observability::HttpMetrics::RouteLabel> labels;
  for (const auto& r : router_.routes()) labels.push_back({r.method, r.pattern});
  services_.metrics.set_routes(std::move(labels));
}

Server::~Server() { stop(); }

void Server::start() {
  if (options_.tls() && !tls_)
    tls_ = std::make_unique<TlsCredentials>(options_.tls_cert_file, options_.tls_key_file);
  Poco::Net::ServerSocket socket = listen_socket(options_, tls_.get());
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(options_.threads);
  params->setMaxQueued(options_.max_queued);
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Poco::Timespan(options_.keep_alive_timeout_s, 0));
  params->setMaxKeepAliveRequests(0);  // unlimited per connection
  params->setTimeout(Poco::Timespan(options_.io_timeout_s, 0));
  // Poco's default pool stops at 16 threads; size it to match maxThreads on purpose.
  pool_ = std::make_unique<Poco::ThreadPool>(std::min(16, options_.threads), options_.threads);
  deadlines_ =
      std::make_unique<RequestDeadlines>(std::chrono::seconds(options_.request_timeout_s),
                                         std::chrono::seconds(options_.keep_alive_timeout_s), options_.tls());
  server_ = std::make_unique<Poco::Net::HTTPServer>(
      new Factory(router_, services_, options_.max_body_bytes, *deadlines_), *pool_, socket, params);
  server_->setConnectionFilter(deadlines_->filter());
  server_->start();
}

void Server::stop() {
  if (server_) {
    server_->stop();  // the acceptor ends: nothing new is taken from the queue
    try {
      // Close the listening socket now, so new clients are refused at once instead of waiting
      // in the backlog while in-flight requests finish.
      Poco::Net::ServerSocket(server_->socket()).close();
    } catch (const Poco::Exception&) {
    }
    // Waits for each connection's in-flight request to be answered, then closes it.
    server_->stopAll(false);
    pool_->joinAll();
    server_.reset();
    deadlines_.reset();
  }
}

void Server::reload_tls() {
  if (!tls_) return;
  tls_->reload();
  spdlog::info("TLS certificate reloaded: {}", tls_->describe());
}

std::uint16_t Server::port() const { return server_ ? server_->port() : options_.port; }

}  // namespace plugboard::http

// A whole-request deadline on top of Poco's per-read timeout. A client that trickles one byte
// just inside `io_timeout_s` would otherwise hold a worker for as long as it likes. Every
// accepted connection is watched from the moment the server waits for a request on it (accept,
// or the end of the previous response) until that request's body has been read; past
// `request_timeout_s` the watchdog answers 408 (plain HTTP only: TLS records cannot be written
// from another thread) and shuts the socket down, which ends the worker's blocked read.
#pragma once

#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/TCPServer.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace plugboard::http {

class RequestDeadlines {
 public:
  using Clock = std::chrono::steady_clock;

  // request_timeout: from first wait to body read; idle_allowance: the keep-alive wait that
  // comes before a later request on the same connection.
  RequestDeadlines(std::chrono::seconds request_timeout, std::chrono::seconds idle_allowance, bool tls);
  ~RequestDeadlines();
  RequestDeadlines(const RequestDeadlines&) = delete;
  RequestDeadlines& operator=(const RequestDeadlines&) = delete;

  // Poco calls this filter from the acceptor thread for every new connection.
  Poco::Net::TCPServerConnectionFilter::Ptr filter();

  // The request on this connection has been read in full: nothing more to watch for now.
  void request_read(const Poco::Net::StreamSocket& socket);
  // The answer went out; a kept-alive client may now send its next request.
  void response_sent(const Poco::Net::StreamSocket& socket);

  // Connections cut off so far (for tests and logs).
  std::uint64_t expired() const;

 private:
  struct Watch {
    Poco::Net::StreamSocket socket;  // a reference to the connection's socket
    std::optional<Clock::time_point> deadline;
  };
  class Filter;

  void watch(const Poco::Net::StreamSocket& socket);
  void run();
  void cut_off(Poco::Net::StreamSocket& socket) const;

  const std::chrono::seconds request_timeout_;
  const std::chrono::seconds idle_allowance_;
  const bool tls_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::uint64_t expired_ = 0;
  std::unordered_map<const void*, Watch> watches_;  // by the socket's impl
  std::thread thread_;
};

}  // namespace plugboard::http

#include "http/request_deadlines.hpp"

#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include <string>

namespace plugboard::http {

namespace {

constexpr auto kTick = std::chrono::milliseconds(250);

// Our copy is the only reference left, or Poco has closed it: the connection is over.
bool finished(const Poco::Net::StreamSocket& s) {
  return s.impl()->referenceCount() <= 1 || s.impl()->sockfd() == POCO_INVALID_SOCKET;
}

}  // namespace

class RequestDeadlines::Filter final : public Poco::Net::TCPServerConnectionFilter {
 public:
  explicit Filter(RequestDeadlines& owner) : owner_(owner) {}
  bool accept(const Poco::Net::StreamSocket& socket) override {
    owner_.watch(socket);
    return true;
  }

 private:
  RequestDeadlines& owner_;
};

RequestDeadlines::RequestDeadlines(std::chrono::seconds request_timeout, std::chrono::seconds idle_allowance,
                                   bool tls)
    : request_timeout_(request_timeout),
      idle_allowance_(idle_allowance),
      tls_(tls),
      thread_([this] { run(); }) {}

RequestDeadlines::~RequestDeadlines() {
  {
    const std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

Poco::Net::TCPServerConnectionFilter::Ptr RequestDeadlines::filter() { return new Filter(*this); }

void RequestDeadlines::watch(const Poco::Net::StreamSocket& socket) {
  const std::lock_guard lock(mu_);
  watches_.insert_or_assign(socket.impl(), Watch{socket, Clock::now() + request_timeout_});
}

void RequestDeadlines::request_read(const Poco::Net::StreamSocket& socket) {
  const std::lock_guard lock(mu_);
  if (auto it = watches_.find(socket.impl()); it != watches_.end()) it->second.deadline.reset();
}

void RequestDeadlines::response_sent(const Poco::Net::StreamSocket& socket) {
  const std::lock_guard lock(mu_);
  if (auto it = watches_.find(socket.impl()); it != watches_.end())
    it->second.deadline = Clock::now() + idle_allowance_ + request_timeout_;
}

std::uint64_t RequestDeadlines::expired() const {
  const std::lock_guard lock(mu_);
  return expired_;
}

void RequestDeadlines::cut_off(Poco::Net::StreamSocket& socket) const {
  const auto fd = socket.impl()->sockfd();
  if (fd == POCO_INVALID_SOCKET) return;
  if (!tls_) {
    // Nothing has been answered yet: the worker is still reading this request.
    static const std::string kTimeout = [] {
      const std::string body =
          R"({"errors":[{"code":"request_timeout","message":"the request took too long to arrive"}]})";
      return "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json\r\n"
             "Content-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body;
    }();
    (void)::send(fd, kTimeout.data(), kTimeout.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  // A kernel-level shutdown is safe from any thread (unlike an SSL shutdown) and makes the
  // worker's blocked read return at once; Poco then closes the connection as usual.
  ::shutdown(fd, SHUT_RDWR);
}

void RequestDeadlines::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, kTick);
    const auto now = Clock::now();
    for (auto it = watches_.begin(); it != watches_.end();) {
      Watch& w = it->second;
      if (finished(w.socket)) {
        it = watches_.erase(it);
        continue;
      }
      if (w.deadline && *w.deadline <= now) {
        cut_off(w.socket);
        ++expired_;
        spdlog::warn("closed a connection whose request took longer than {} s to arrive",
                     request_timeout_.count());
        it = watches_.erase(it);
        continue;
      }
      ++it;
    }
  }
}

}  // namespace plugboard::http

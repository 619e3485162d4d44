// The request a thread is serving, for log lines. The HTTP dispatcher opens a scope around
// each request; every line logged on that thread meanwhile carries the request id, without
// each call site passing it along.
#pragma once

#include <string>
#include <string_view>

namespace plugboard::log {

// The id of the request this thread is serving; empty outside a request.
std::string_view current_request_id();

class RequestScope {
 public:
  explicit RequestScope(std::string_view request_id);
  ~RequestScope();
  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;

 private:
  std::string previous_;
};

}  // namespace plugboard::log

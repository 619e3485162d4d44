#include "log/request_scope.hpp"

namespace plugboard::log {
namespace {
thread_local std::string t_request_id;
}  // namespace

std::string_view current_request_id() { return t_request_id; }

// Scopes nest (a request handled inside another never happens today, but restoring is cheap).
RequestScope::RequestScope(std::string_view request_id) : previous_(std::move(t_request_id)) {
  t_request_id.assign(request_id);
}

RequestScope::~RequestScope() { t_request_id = std::move(previous_); }

}  // namespace plugboard::log

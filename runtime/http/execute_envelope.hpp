// Seed 004's v2 execute envelope read into an ExecuteRequest: which fields are missing, which
// have the wrong type. Kept apart from the route so the fuzzer can drive it with any JSON.
#pragma once

#include "execute/execute_error.hpp"
#include "execute/execute_service.hpp"

#include <boost/json.hpp>

#include <optional>
#include <string>

namespace plugboard::http {

// Fills `req` from `body` (parameters are moved out of it). `user_header` is X-User-Id, used
// when the body names no user_id. Returns the error to answer with, or nullopt.
std::optional<execute::ExecuteError> read_execute_envelope(boost::json::object& body,
                                                           const std::string& user_header,
                                                           execute::ExecuteRequest& req);

}  // namespace plugboard::http

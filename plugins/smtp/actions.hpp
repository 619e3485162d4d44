// The SMTP plugin's handlers. Both are stateless (every call opens its own SMTP session) and so
// reentrant: the host calls them from many threads at once.
#pragma once

#include <plugboard/sdk.hpp>

namespace smtp {

namespace json = boost::json;

// One message over one SMTP session -> {message_id, accepted: [...], rejected?: [...], smtp_response}
json::value send_email(plugboard::Context& ctx, const json::object& params);

// Connect, EHLO, STARTTLS and AUTH as configured, QUIT -> {user_info: {email, name}, server, tls, auth}
json::object test_connection(plugboard::Context& ctx);

}  // namespace smtp

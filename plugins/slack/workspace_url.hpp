// The Slack workspace URL ("https://acme.slack.com/") of a connection, from auth.test,
// remembered per connection so send-message can build a permalink without a second call
// to Slack on every message.
#pragma once

#include <plugboard/sdk.hpp>

#include <string>

namespace slack {

// Empty when auth.test fails (the caller then leaves the permalink out).
std::string workspace_url(plugboard::Context& ctx);

// Slack's permalink for a message: <workspace>archives/<channel>/p<ts without the dot>, with
// thread_ts and cid for a reply in a thread.
std::string permalink(const std::string& workspace_url, const std::string& channel, const std::string& ts,
                      const std::string& thread_ts);

}  // namespace slack

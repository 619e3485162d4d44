// What the host knows about one invocation while a plugin runs it. A plugin sees it only as
// the opaque pb_call handle; every host service starts from it.
#pragma once

#include "execute/credential_injection.hpp"
#include "net/http_client.hpp"
#include "plugins/manifest.hpp"

#include <plugboard/plugin.h>

#include <boost/json.hpp>

#include <chrono>
#include <string>
#include <string_view>

struct pb_call {
  plugboard::net::HttpClient* http = nullptr;
  const plugboard::plugins::Manifest* manifest = nullptr;
  const boost::json::object* credentials = nullptr;  // decrypted; null when there are none
  const plugboard::execute::Injected* injected = nullptr;
  const boost::json::object* config = nullptr;  // the connection's non-secret configuration
  std::string_view base_url;
  std::string_view request_id;
  std::string_view workspace_id;
  std::string_view project_id;
  std::string_view connection_id;
  std::string_view action;
  bool idempotent = false;
  std::chrono::steady_clock::time_point deadline;

  std::chrono::milliseconds remaining() const {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return left.count() > 0 ? left : std::chrono::milliseconds(0);
  }
};

namespace plugboard::execute {

// The host service table handed to every plugin at entry. Lives for the whole process.
const pb_host_api* host_api();

}  // namespace plugboard::execute

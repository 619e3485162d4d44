// Who is calling: the API key that authenticated a request, as the request path needs it.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace plugboard::auth {

struct Principal {
  std::string key_id;
  std::string workspace_id;
  std::vector<std::string> operations;    // read, write, execute, admin
  std::vector<std::string> integrations;  // empty: all
  std::vector<std::string> projects;      // empty: all of the workspace
  std::chrono::system_clock::time_point expires_at = std::chrono::system_clock::time_point::max();
  // The key's rate limit (auth/rate_limiter.hpp); 0: none.
  std::int64_t requests_per_hour = 0;
  std::int64_t burst_limit = 0;

  // admin implies every operation.
  bool can(std::string_view op) const {
    auto has = [&](std::string_view x) {
      return std::find(operations.begin(), operations.end(), x) != operations.end();
    };
    return has(op) || has("admin");
  }
  bool allows_project(const std::string& id) const {
    return projects.empty() || std::find(projects.begin(), projects.end(), id) != projects.end();
  }
  bool allows_integration(const std::string& provider, const std::string& integration_id) const {
    return integrations.empty() ||
           std::find(integrations.begin(), integrations.end(), provider) != integrations.end() ||
           std::find(integrations.begin(), integrations.end(), integration_id) != integrations.end();
  }
};

}  // namespace plugboard::auth

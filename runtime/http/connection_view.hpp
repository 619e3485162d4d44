// How a connection is shown to API clients: its credentials as field names with redacted values.
#pragma once

#include "store/records.hpp"

#include <boost/json.hpp>

#include <string>
#include <vector>

namespace plugboard::http {

inline boost::json::object render_connection(const store::Connection& c,
                                             const std::vector<std::string>& credential_fields) {
  boost::system::error_code ec;
  boost::json::value cfg = boost::json::parse(c.configuration_json, ec);
  boost::json::object creds;
  for (const auto& f : credential_fields) creds[f] = "[REDACTED]";
  boost::json::object o{{"id", c.id},
                        {"integration_id", c.integration_id},
                        {"provider", c.provider},
                        {"name", c.name},
                        {"status", c.status},
                        {"auth_type", c.auth_type},
                        {"workspace_id", c.workspace_id},
                        {"project_id", c.project_id},
                        {"configuration", ec ? boost::json::value(boost::json::object{}) : cfg},
                        {"credentials", std::move(creds)},
                        {"has_credentials", c.sealed_credentials.has_value()},
                        {"created_on", c.created_at},
                        {"updated_at", c.updated_at},
                        {"last_sync", nullptr}};
  if (!c.status_reason.empty()) o["status_reason"] = c.status_reason;
  if (auto user = boost::json::parse(c.user_json, ec); !ec && user.is_object() && !user.as_object().empty())
    o["user"] = std::move(user);
  return o;
}

}  // namespace plugboard::http

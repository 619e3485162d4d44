#include "actions.hpp"
#include "settings.hpp"
#include "smtp_client.hpp"

namespace smtp {

json::object test_connection(plugboard::Context& ctx) {
  const Settings settings = read_settings(ctx);
  Client client(settings, ctx);
  client.open();  // connect, EHLO, STARTTLS, AUTH: each failure throws its own ActionError
  client.quit();

  json::object user_info;
  user_info["email"] = settings.from_email;
  user_info["name"] = settings.from_name;
  json::object out;
  out["user_info"] = std::move(user_info);
  out["server"] = client.server_name();
  out["tls"] = tls_mode_name(settings.tls);
  out["auth"] = client.auth_mechanism().empty() ? "none" : client.auth_mechanism();
  return out;
}

}  // namespace smtp

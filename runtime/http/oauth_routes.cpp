// OAuth2 connections: an authorize URL for the client to send its user to, the callback the
// provider sends the user back to, and the client-credentials grant for service accounts.
#include "auth/audit_service.hpp"
#include "auth/oauth2_client.hpp"
#include "http/connection_view.hpp"
#include "http/request_parsing.hpp"
#include "http/router.hpp"
#include "http/services.hpp"

#include <Poco/URI.h>

namespace plugboard::http {
namespace {

namespace json = boost::json;

}  // namespace

void add_oauth_routes(Router& r, Services& s) {
  // Seed 000's oauth-url: {"oauth_url","state"}, plus where the provider will send the user.
  r.add("GET", "/api/v2/oauth/{integration}/authorize-url", Access::admin, [&s](Exchange& ex) {
    execute::AuthorizationRequest req;
    req.integration = ex.param("integration");
    req.project_id = ex.query("project_id").value_or("");
    req.connection_name = ex.query("name").value_or("");
    req.redirect_uri = ex.query("redirect_uri").value_or("");
    req.return_to = ex.query("return_to").value_or("");
    auto start = s.oauth.start(*ex.principal, req);
    ex.send_json(200, json::object{{"oauth_url", start.url},
                                   {"authorize_url", start.url},
                                   {"state", start.state},
                                   {"redirect_uri", start.redirect_uri},
                                   {"expires_at", start.expires_at}});
  });

  // The provider's redirect. No API key: the signed, single-use state is the credential.
  r.add("GET", "/api/v2/oauth/callback", Access::open, [&s](Exchange& ex) {
    if (auto error = ex.query("error")) {
      std::string message = "the provider did not authorize the connection: " + *error;
      if (auto d = ex.query("error_description")) message += " (" + d->substr(0, 200) + ")";
      return ex.send_error(400, "oauth_denied", message);
    }
    const auto state = ex.query("state");
    if (!state) throw ServiceError::invalid("state", "state is required");
    try {
      auto done = s.oauth.complete(ex.query("code").value_or(""), *state);
      s.audit.record(nullptr, ex.request_id(), "create", "connection", done.connection.id, {},
                     auth::audit_view(done.connection));
      if (!done.return_to.empty()) {
        Poco::URI back(done.return_to);
        back.addQueryParameter("connection_id", done.connection.id);
        back.addQueryParameter("status", done.connection.status);
        ex.set_header("Location", back.toString());
        return ex.send_text(302, "text/plain", "");
      }
      ex.send_json(
          201, json::object{{"status", "connected"}, {"connection", render_connection(done.connection, {})}});
    } catch (const auth::oauth2::TokenError& e) {
      ex.send_error(502, "oauth_token_exchange_failed",
                    std::string("the provider refused the authorization code: ") + e.what());
    }
  });

  r.add("POST", "/api/v2/oauth/{integration}/client-credentials", Access::admin, [&s](Exchange& ex) {
    auto body = require_object_body(ex);
    const auto project = req_string(body, "project_id", 64);
    if (!ex.principal->allows_project(project))
      throw ServiceError("forbidden", "the API key does not have access to project " + project, "project_id");
    try {
      auto c = s.oauth.connect_client_credentials(ex.principal->workspace_id, ex.param("integration"),
                                                  project, opt_string(body, "name").value_or(""));
      s.audit.record(ex.principal.get(), ex.request_id(), "create", "connection", c.id, {},
                     auth::audit_view(c));
      ex.send_json(201, render_connection(c, {}));
    } catch (const auth::oauth2::TokenError& e) {
      ex.send_error(502, "oauth_token_request_failed",
                    std::string("the provider refused the client: ") + e.what());
    }
  });
}

}  // namespace plugboard::http

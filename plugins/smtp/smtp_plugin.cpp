// The SMTP plugin: registers send-email and the connection test with the SDK. The manifest
// (manifests/smtp.yaml) declares the same slug with its schema; the connection's settings
// (server, port, TLS mode, account, sender) arrive as custom credentials, read by settings.cpp.
#include "actions.hpp"

#include <plugboard/sdk.hpp>

namespace {

plugboard::Plugin make_smtp_plugin() {
  plugboard::Plugin p("smtp");
  p.action("send-email", &smtp::send_email).test_connection(&smtp::test_connection);
  return p;
}

}  // namespace

PLUGBOARD_PLUGIN(make_smtp_plugin)

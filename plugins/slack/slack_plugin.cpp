// The Slack plugin: registers its actions and connection test with the SDK. The manifest
// (manifests/slack.yaml) declares the same slugs with their schemas, and tells the host how to
// inject the token, so no auth code lives here.
#include "actions.hpp"

#include <plugboard/sdk.hpp>

namespace {

plugboard::Plugin make_slack_plugin() {
  plugboard::Plugin p("slack");
  p.action("send-message", &slack::send_message)
      .action("list-channels", &slack::list_channels)
      .action("create-channel", &slack::create_channel)
      .action("user-lookup", &slack::user_lookup)
      .test_connection(&slack::test_connection)
      .webhook_trigger("events", &slack::events_hook);
  return p;
}

}  // namespace

PLUGBOARD_PLUGIN(make_slack_plugin)

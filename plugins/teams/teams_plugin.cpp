// The Microsoft Teams plugin: registers its actions and connection test with the SDK. The
// manifest (manifests/teams.yaml) declares the same slugs with their schemas and tells the host
// how to inject Graph tokens; webhook mode reads its URL from the connection's credentials.
#include "actions.hpp"

#include <plugboard/sdk.hpp>

namespace {

plugboard::Plugin make_teams_plugin() {
  plugboard::Plugin p("teams");
  p.action("send-teams-message", &teams::send_message)
      .action("list-teams", &teams::list_teams)
      .action("list-channels", &teams::list_channels)
      .test_connection(&teams::test_connection)
      .webhook_trigger("channel-message", &teams::channel_message_hook, &teams::subscribe_channel_messages,
                       &teams::unsubscribe_channel_messages);
  return p;
}

}  // namespace

PLUGBOARD_PLUGIN(make_teams_plugin)

// The Google Sheets plugin: registers its actions and connection test with the SDK. The
// manifest (manifests/google_sheets.yaml) declares the same slugs with their schemas, and tells
// the host how to inject the token, so no auth code lives here.
#include "actions.hpp"

#include <plugboard/sdk.hpp>

namespace {

plugboard::Plugin make_google_sheets_plugin() {
  plugboard::Plugin p("google_sheets");
  p.action("append-row", &google_sheets::append_row)
      .action("search-rows-advanced", &google_sheets::search_rows_advanced)
      .action("update-row-advanced", &google_sheets::update_row_advanced)
      .test_connection(&google_sheets::test_connection);
  return p;
}

}  // namespace

PLUGBOARD_PLUGIN(make_google_sheets_plugin)

#include "actions.hpp"
#include "params.hpp"
#include "sheets_api.hpp"

#include <string>

namespace google_sheets {

// Sheets has no "who am I" call: a token can only be tried on a spreadsheet. So the test
// reads the metadata of the spreadsheet named in the connection's configuration.
json::object test_connection(plugboard::Context& ctx) {
  const json::object info = ctx.call_info();
  json::object config;
  if (const json::value* c = info.if_contains("config"); c != nullptr && c->is_object())
    config = c->get_object();
  const std::string id = string_param(config, "spreadsheetId");
  if (id.empty())
    throw plugboard::ActionError{"NOT_SUPPORTED",
                                 "Google Sheets can only test a connection against a spreadsheet: set "
                                 "configuration.spreadsheetId on the connection"};
  json::object meta =
      get(ctx, "spreadsheets.get",
          spreadsheet_path(id) + "?fields=spreadsheetId,properties.title,sheets.properties.title");
  json::object spreadsheet;
  spreadsheet["spreadsheetId"] = string_param(meta, "spreadsheetId", id);
  std::string title;
  if (const json::value* p = meta.if_contains("properties"); p != nullptr && p->is_object())
    title = string_param(p->get_object(), "title");
  spreadsheet["title"] = title;
  json::array sheets;
  if (const json::value* s = meta.if_contains("sheets"); s != nullptr && s->is_array())
    for (const json::value& sh : s->get_array())
      if (sh.is_object())
        if (const json::value* p = sh.get_object().if_contains("properties"); p != nullptr && p->is_object())
          sheets.emplace_back(string_param(p->get_object(), "title"));
  spreadsheet["sheets"] = std::move(sheets);
  json::object out;
  out["spreadsheet"] = std::move(spreadsheet);
  return out;
}

}  // namespace google_sheets

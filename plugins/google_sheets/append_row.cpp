#include "a1.hpp"
#include "actions.hpp"
#include "params.hpp"
#include "sheets_api.hpp"

#include <string>

namespace google_sheets {

namespace {

// Seed 004 sends rows ([["John", "Doe"]]); a single row (["John", "Doe"]) is accepted too.
json::array rows_param(const json::object& params) {
  const json::array& values = required_array(params, "values");
  bool nested = false;
  bool flat = false;
  for (const json::value& v : values) (v.is_array() ? nested : flat) = true;
  if (nested && flat)
    throw invalid_parameter("values", "must be an array of rows (arrays) or a single row, not a mix");
  if (flat) return json::array{json::value(values)};
  for (const json::value& row : values)
    for (const json::value& cell : row.get_array())
      if (cell.is_array() || cell.is_object())
        throw invalid_parameter("values", "cells must be strings, numbers, booleans or null");
  return values;
}

std::string option_param(const json::object& params, std::string_view name, const char* fallback,
                         std::initializer_list<std::string_view> allowed) {
  std::string v = string_param(params, name, fallback);
  for (std::string_view a : allowed)
    if (v == a) return v;
  throw invalid_parameter(name, "has an unsupported value " + v);
}

}  // namespace

json::value append_row(plugboard::Context& ctx, const json::object& params) {
  const std::string id = required_string(params, "spreadsheetId");
  const std::string sheet = string_param(params, "sheetName", "Sheet1");
  const std::string input = option_param(params, "valueInputOption", "USER_ENTERED", {"USER_ENTERED", "RAW"});
  const std::string insert =
      option_param(params, "insertDataOption", "INSERT_ROWS", {"INSERT_ROWS", "OVERWRITE"});
  const std::string range = quote_sheet(sheet);

  json::object body;
  body["range"] = range;
  body["majorDimension"] = "ROWS";
  body["values"] = rows_param(params);
  // The sheet name alone as the range: Sheets finds the table on it and appends below it.
  json::object appended = post(ctx, "values.append",
                               spreadsheet_path(id) + "/values/" + url_encode(range) +
                                   ":append?valueInputOption=" + input + "&insertDataOption=" + insert,
                               body);

  json::object updates;
  if (const json::value* u = appended.if_contains("updates"); u != nullptr && u->is_object())
    updates = u->get_object();
  auto count = [&](std::string_view key) -> json::value {
    const json::value* v = updates.if_contains(key);
    return v != nullptr && v->is_number() ? *v : json::value(0);
  };
  json::object out;
  out["spreadsheetId"] = string_param(appended, "spreadsheetId", id);
  if (std::string table = string_param(appended, "tableRange"); !table.empty()) out["tableRange"] = table;
  out["updatedRange"] = string_param(updates, "updatedRange");
  out["updatedRows"] = count("updatedRows");
  out["updatedColumns"] = count("updatedColumns");
  out["updatedCells"] = count("updatedCells");
  return out;
}

}  // namespace google_sheets

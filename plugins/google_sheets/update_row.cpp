#include "a1.hpp"
#include "actions.hpp"
#include "params.hpp"
#include "sheets_api.hpp"
#include "table.hpp"

#include <string>
#include <utility>
#include <vector>

namespace google_sheets {

namespace {

struct Update {
  std::size_t column;
  json::value value;
};

std::vector<Update> parse_updates(const Sheet& sheet, const json::array& updates) {
  std::vector<Update> out;
  out.reserve(updates.size());
  for (const json::value& u : updates) {
    if (!u.is_object()) throw invalid_parameter("updates", "must hold objects {columnName, newValue}");
    const json::object& o = u.get_object();
    std::string column = string_param(o, "columnName");
    if (column.empty()) throw invalid_parameter("updates[].columnName", "is required");
    const json::value* value = o.if_contains("newValue");
    if (value == nullptr) throw invalid_parameter("updates[].newValue", "is required");
    if (value->is_array() || value->is_object())
      throw invalid_parameter("updates[].newValue", "must be a string, number, boolean or null");
    // null clears the cell: Sheets skips null in a ValueRange, but writes "".
    out.push_back({sheet.column(column), value->is_null() ? json::value("") : *value});
  }
  return out;
}

}  // namespace

json::value update_row_advanced(plugboard::Context& ctx, const json::object& params) {
  const std::string id = required_string(params, "spreadsheetId");
  const std::string sheet_name = string_param(params, "sheetName", "Sheet1");
  const json::array& filter_params = required_array(params, "filters");
  const json::array& update_params = required_array(params, "updates");
  const bool any = filter_logic_is_or(params);
  const bool all = bool_param(params, "updateAll", false);
  std::string input = string_param(params, "valueInputOption", "USER_ENTERED");
  if (input != "USER_ENTERED" && input != "RAW")
    throw invalid_parameter("valueInputOption", "must be USER_ENTERED or RAW");

  Sheet sheet = read_sheet(ctx, id, sheet_name);
  // Both lists are resolved before anything is written, so an unknown column changes nothing.
  const std::vector<Filter> filters = parse_filters(sheet, filter_params);
  const std::vector<Update> updates = parse_updates(sheet, update_params);

  std::vector<std::size_t> matched;  // indexes into sheet.rows
  for (std::size_t i = 0; i < sheet.rows.size(); ++i) {
    if (!matches(sheet.rows[i], filters, any)) continue;
    matched.push_back(i);
    if (!all) break;
  }

  json::object out;
  if (matched.empty()) {  // nothing to change is not a failure
    out["updatedRows"] = 0;
    out["updatedCells"] = 0;
    out["rowNumbers"] = json::array{};
    out["rows"] = json::array{};
    return out;
  }

  // One ValueRange per changed cell: the row number is the index + 2 (row 1 is the header).
  json::array data;
  data.reserve(matched.size() * updates.size());
  for (std::size_t i : matched)
    for (const Update& u : updates) {
      json::object range;
      range["range"] = cell_ref(sheet_name, u.column, i + 2);
      range["majorDimension"] = "ROWS";
      range["values"] = json::array{json::array{u.value}};
      data.push_back(std::move(range));
    }
  json::object body;
  body["valueInputOption"] = input;
  body["data"] = std::move(data);
  // Sheets echoes each written cell as it now shows it (a date USER_ENTERED may be reformatted).
  body["includeValuesInResponse"] = true;
  body["responseValueRenderOption"] = "FORMATTED_VALUE";
  json::object result = post(ctx, "values.batchUpdate", spreadsheet_path(id) + "/values:batchUpdate", body);

  const json::array* responses = nullptr;
  if (const json::value* r = result.if_contains("responses"); r != nullptr && r->is_array())
    responses = &r->get_array();
  std::size_t k = 0;
  json::array rows;
  json::array numbers;
  for (std::size_t i : matched) {
    std::vector<std::string>& row = sheet.rows[i];
    for (const Update& u : updates) {
      std::string shown = cell_text(u.value);
      if (responses != nullptr && k < responses->size() && (*responses)[k].is_object()) {
        const json::value* data_v = (*responses)[k].get_object().if_contains("updatedData");
        const json::value* vals =
            data_v != nullptr && data_v->is_object() ? data_v->get_object().if_contains("values") : nullptr;
        if (vals != nullptr && vals->is_array() && !vals->get_array().empty() &&
            vals->get_array()[0].is_array() && !vals->get_array()[0].get_array().empty())
          shown = cell_text(vals->get_array()[0].get_array()[0]);
      }
      ++k;
      if (row.size() <= u.column) row.resize(u.column + 1);
      row[u.column] = std::move(shown);
    }
    numbers.push_back(i + 2);
    rows.push_back(sheet.row_object(row));
  }
  const json::value* cells = result.if_contains("totalUpdatedCells");
  out["updatedRows"] = matched.size();
  out["updatedCells"] =
      cells != nullptr && cells->is_number() ? *cells : json::value(matched.size() * updates.size());
  out["rowNumbers"] = std::move(numbers);
  out["rows"] = std::move(rows);
  return out;
}

}  // namespace google_sheets

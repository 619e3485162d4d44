#include "actions.hpp"
#include "params.hpp"
#include "table.hpp"

#include <string>

namespace google_sheets {

json::value search_rows_advanced(plugboard::Context& ctx, const json::object& params) {
  const std::string id = required_string(params, "spreadsheetId");
  const std::string sheet_name = string_param(params, "sheetName", "Sheet1");
  const json::array& filter_params = required_array(params, "filters");
  const bool any = filter_logic_is_or(params);
  const bool all = bool_param(params, "returnAll", false);

  Sheet sheet = read_sheet(ctx, id, sheet_name);
  const std::vector<Filter> filters = parse_filters(sheet, filter_params);

  json::array rows;
  for (const auto& row : sheet.rows) {
    if (!matches(row, filters, any)) continue;
    rows.push_back(sheet.row_object(row));
    if (!all) break;
  }
  const std::size_t count = rows.size();
  json::object out;  // seed 004's shape, in its order
  out["rows"] = std::move(rows);
  out["count"] = count;
  return out;
}

}  // namespace google_sheets

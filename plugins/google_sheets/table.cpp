#include "table.hpp"

#include "a1.hpp"
#include "params.hpp"
#include "sheets_api.hpp"

#include <charconv>
#include <system_error>

namespace google_sheets {

using plugboard::ActionError;

namespace {

std::vector<std::string> text_row(const json::value& v) {
  std::vector<std::string> row;
  if (!v.is_array()) return row;
  row.reserve(v.get_array().size());
  for (const json::value& cell : v.get_array()) row.push_back(cell_text(cell));
  return row;
}

}  // namespace

std::string cell_text(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return std::string(v.get_string());
    case json::kind::int64:
      return std::to_string(v.get_int64());
    case json::kind::uint64:
      return std::to_string(v.get_uint64());
    case json::kind::double_: {
      // Shortest text that reads back the same (25.5, 1e+21), never Boost's 2.55E1.
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.get_double());
      return ec == std::errc() ? std::string(buf, end) : std::string();
    }
    case json::kind::bool_:
      return v.get_bool() ? "TRUE" : "FALSE";
    default:
      return {};
  }
}

std::size_t Sheet::column(const std::string& column_name) const {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == column_name) return i;
  json::object d;
  d["column"] = column_name;
  d["sheetName"] = name;
  json::array available;
  for (const std::string& h : header)
    if (!h.empty()) available.emplace_back(h);
  d["available_columns"] = std::move(available);
  throw ActionError{"COLUMN_NOT_FOUND",
                    "column \"" + column_name + "\" is not in the header row of sheet " + name, std::move(d)};
}

json::object Sheet::row_object(const std::vector<std::string>& row) const {
  json::object o;
  o.reserve(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i].empty() || o.contains(header[i])) continue;  // unnamed or repeated column
    o[header[i]] = i < row.size() ? row[i] : std::string();
  }
  return o;
}

Sheet read_sheet(const plugboard::Context& ctx, const std::string& spreadsheet_id, const std::string& sheet) {
  // FORMATTED_VALUE: every cell as the text the sheet shows, which is what filters compare.
  json::object range = get(ctx, "values.get",
                           spreadsheet_path(spreadsheet_id) + "/values/" + url_encode(quote_sheet(sheet)) +
                               "?majorDimension=ROWS&valueRenderOption=FORMATTED_VALUE");
  Sheet s;
  s.name = sheet;
  // Google leaves "values" out altogether when the sheet is empty.
  const json::value* values = range.if_contains("values");
  if (values == nullptr || !values->is_array() || values->get_array().empty()) return s;
  const json::array& rows = values->get_array();
  s.header = text_row(rows[0]);
  s.rows.reserve(rows.size() - 1);
  for (std::size_t i = 1; i < rows.size(); ++i) s.rows.push_back(text_row(rows[i]));
  return s;
}

std::vector<Filter> parse_filters(const Sheet& sheet, const json::array& filters) {
  std::vector<Filter> out;
  out.reserve(filters.size());
  for (const json::value& f : filters) {
    if (!f.is_object()) throw invalid_parameter("filters", "must hold objects {columnName, searchValue}");
    const json::object& o = f.get_object();
    std::string column = string_param(o, "columnName");
    if (column.empty()) throw invalid_parameter("filters[].columnName", "is required");
    const json::value* search = o.if_contains("searchValue");
    if (search == nullptr) throw invalid_parameter("filters[].searchValue", "is required");
    out.push_back({sheet.column(column), cell_text(*search)});
  }
  return out;
}

bool matches(const std::vector<std::string>& row, const std::vector<Filter>& filters, bool any) {
  static const std::string blank;
  for (const Filter& f : filters) {
    const std::string& cell = f.column < row.size() ? row[f.column] : blank;
    const bool hit = cell == f.value;
    if (any && hit) return true;
    if (!any && !hit) return false;
  }
  return !any;
}

bool filter_logic_is_or(const json::object& params) {
  std::string logic = string_param(params, "filterLogic", "AND");
  if (logic == "OR") return true;
  if (logic == "AND") return false;
  throw invalid_parameter("filterLogic", "must be AND or OR");
}

}  // namespace google_sheets

// A sheet read whole, its first row taken as the header, and the row filters of
// search-rows-advanced and update-row-advanced.
#pragma once

#include <plugboard/sdk.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace google_sheets {

namespace json = boost::json;

struct Sheet {
  std::string name;
  std::vector<std::string> header;             // row 1; empty when the sheet is empty
  std::vector<std::vector<std::string>> rows;  // rows 2.. as Google returns them (trailing blanks cut)

  // Zero-based index of the column headed `column_name` (the first, when two share it); throws
  // ActionError COLUMN_NOT_FOUND naming it and the columns there are.
  std::size_t column(const std::string& column_name) const;
  // The row as {header: value}, every named column present ("" for a blank cell).
  json::object row_object(const std::vector<std::string>& row) const;
};

// GET /spreadsheets/{id}/values/{sheet}: the whole sheet as formatted text.
Sheet read_sheet(const plugboard::Context& ctx, const std::string& spreadsheet_id, const std::string& sheet);

// A cell value as the text Sheets shows for it: strings as they are, integers in decimal,
// booleans as TRUE/FALSE, null as "".
std::string cell_text(const json::value& v);

struct Filter {
  std::size_t column;
  std::string value;
};

// The `filters` parameter ([{columnName, searchValue}]) resolved against the header.
std::vector<Filter> parse_filters(const Sheet& sheet, const json::array& filters);

// Whether a row matches: every filter (AND) or any (OR); a filter matches when the cell's
// text equals its searchValue exactly (case-sensitive, no trimming).
bool matches(const std::vector<std::string>& row, const std::vector<Filter>& filters, bool any);

// filterLogic, "AND" (default) or "OR"; true for OR.
bool filter_logic_is_or(const json::object& params);

}  // namespace google_sheets

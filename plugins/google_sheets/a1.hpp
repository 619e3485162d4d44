// A1 notation (https://developers.google.com/sheets/api/guides/concepts#cell): sheet names,
// column letters and cell references as the Sheets API expects them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace google_sheets {

// The sheet name as it must appear in a range: bare when it is a plain identifier that cannot
// be mistaken for a cell (Sheet1, Data_2024), else in single quotes with quotes doubled
// ('My Sheet', 'O''Brien', 'A1').
std::string quote_sheet(std::string_view sheet);

// Column letters of a zero-based column index: 0 -> A, 25 -> Z, 26 -> AA, 701 -> ZZ, 702 -> AAA.
std::string column_letters(std::size_t index);

// 'Sheet'!C5 for zero-based column 2 and one-based row 5.
std::string cell_ref(std::string_view sheet, std::size_t column, std::size_t row_number);

}  // namespace google_sheets

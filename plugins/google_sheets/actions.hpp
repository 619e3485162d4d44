// The Google Sheets plugin's handlers, one file each. All are stateless and so reentrant: the
// host calls them from many threads at once.
#pragma once

#include <plugboard/sdk.hpp>

namespace google_sheets {

namespace json = boost::json;

// values.append -> {spreadsheetId, tableRange?, updatedRange, updatedRows, updatedColumns, updatedCells}
json::value append_row(plugboard::Context& ctx, const json::object& params);

// values.get (whole sheet), filtered here -> {rows: [{header: value}], count}
json::value search_rows_advanced(plugboard::Context& ctx, const json::object& params);

// values.get, then values.batchUpdate of the matched cells -> {updatedRows, updatedCells, rowNumbers, rows}
json::value update_row_advanced(plugboard::Context& ctx, const json::object& params);

// spreadsheets.get of the connection's configured spreadsheetId -> {spreadsheet: {...}}
json::object test_connection(plugboard::Context& ctx);

}  // namespace google_sheets

// Small helpers the repositories share for binding and reading rows.
#pragma once

#include "store/repositories.hpp"

#include <Poco/Data/RecordSet.h>
#include <Poco/Data/Statement.h>
#include <Poco/Nullable.h>

#include <optional>
#include <string>
#include <vector>

namespace plugboard::store {

std::string text(const Poco::Data::RecordSet& rs, const std::string& column, std::size_t row);
std::optional<std::string> optional_text(const Poco::Data::RecordSet& rs, const std::string& column,
                                         std::size_t row);
std::int64_t integer(const Poco::Data::RecordSet& rs, const std::string& column, std::size_t row);
std::optional<std::int64_t> optional_integer(const Poco::Data::RecordSet& rs, const std::string& column,
                                             std::size_t row);

// Poco binds Nullable, not std::optional.
Poco::Nullable<std::string> to_nullable(const std::optional<std::string>& value);

// Page as bindable LIMIT/OFFSET values. Negative numbers become 0: SQLite reads LIMIT -1 as
// "no limit", which a caller asking for a negative page size never means.
struct SqlPage {
  explicit SqlPage(const Page& page);
  Poco::Int64 limit;
  Poco::Int64 offset;
};

// Executes a prepared SELECT and maps every row with read(rs, row).
template <class Read>
auto select_rows(Poco::Data::Statement& statement, Read read) {
  statement.execute();
  const Poco::Data::RecordSet rs(statement);
  std::vector<decltype(read(rs, std::size_t{0}))> out;
  out.reserve(rs.rowCount());
  for (std::size_t row = 0; row < rs.rowCount(); ++row) out.push_back(read(rs, row));
  return out;
}

template <class Read>
auto select_one(Poco::Data::Statement& statement, Read read) {
  auto rows = select_rows(statement, read);
  using Row = typename decltype(rows)::value_type;
  return rows.empty() ? std::optional<Row>() : std::optional<Row>(std::move(rows.front()));
}

}  // namespace plugboard::store

#include "store/sql_rows.hpp"

namespace plugboard::store {

std::string text(const Poco::Data::RecordSet& rs, const std::string& column, std::size_t row) {
  const auto v = rs.value(column, row);
  return v.isEmpty() ? std::string() : v.convert<std::string>();
}

std::optional<std::string> optional_text(const Poco::Data::RecordSet& rs, const std::string& column,
                                         std::size_t row) {
  const auto v = rs.value(column, row);
  if (v.isEmpty()) return std::nullopt;
  return v.convert<std::string>();
}

std::int64_t integer(const Poco::Data::RecordSet& rs, const std::string& column, std::size_t row) {
  const auto v = rs.value(column, row);
  return v.isEmpty() ? 0 : v.convert<Poco::Int64>();
}

std::optional<std::int64_t> optional_integer(const Poco::Data::RecordSet& rs, const std::string& column,
                                             std::size_t row) {
  const auto v = rs.value(column, row);
  if (v.isEmpty()) return std::nullopt;
  return v.convert<Poco::Int64>();
}

Poco::Nullable<std::string> to_nullable(const std::optional<std::string>& value) {
  return value ? Poco::Nullable<std::string>(*value) : Poco::Nullable<std::string>();
}

SqlPage::SqlPage(const Page& page)
    : limit(page.limit < 0 ? 0 : page.limit), offset(page.offset < 0 ? 0 : page.offset) {}

}  // namespace plugboard::store

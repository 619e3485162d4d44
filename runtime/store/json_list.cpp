#include "store/json_list.hpp"

#include "store/repositories.hpp"

#include <boost/json.hpp>

namespace plugboard::store {

std::string to_json_list(const std::vector<std::string>& items) {
  boost::json::array a;
  a.reserve(items.size());
  for (const auto& item : items) a.emplace_back(item);
  return boost::json::serialize(a);
}

std::vector<std::string> from_json_list(const std::string& text, const char* column) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_array()) throw StoreError(std::string(column) + " does not hold a JSON array");
  std::vector<std::string> out;
  out.reserve(v.as_array().size());
  for (const auto& item : v.as_array()) {
    if (!item.is_string()) throw StoreError(std::string(column) + " holds a non-string item");
    out.emplace_back(item.as_string());
  }
  return out;
}

}  // namespace plugboard::store

// Lists of strings kept in one text column as a JSON array (e.g. an API key's scopes).
#pragma once

#include <string>
#include <vector>

namespace plugboard::store {

std::string to_json_list(const std::vector<std::string>& items);

// Throws StoreError naming `column` if the text is not a JSON array of strings.
std::vector<std::string> from_json_list(const std::string& text, const char* column);

}  // namespace plugboard::store

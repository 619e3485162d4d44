#include "a1.hpp"

#include <algorithm>
#include <cctype>

namespace google_sheets {

namespace {

bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// One to three letters then digits (A1, ZZZ10: Sheets has at most 18278 columns) or R<n>C<n>:
// Sheets would read these as cells. Sheet1 has five letters, so it stays bare.
bool looks_like_cell(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && is_alpha(s[i])) ++i;
  if (i > 0 && i <= 3 && i < s.size() &&
      std::all_of(s.begin() + static_cast<std::ptrdiff_t>(i), s.end(), is_digit))
    return true;
  if (s.size() >= 2 && (s[0] == 'R' || s[0] == 'r')) {
    std::size_t c = s.find_first_of("Cc", 1);
    if (c != std::string_view::npos && c > 1 && c + 1 < s.size())
      return std::all_of(s.begin() + 1, s.begin() + static_cast<std::ptrdiff_t>(c), is_digit) &&
             std::all_of(s.begin() + static_cast<std::ptrdiff_t>(c) + 1, s.end(), is_digit);
  }
  return false;
}

}  // namespace

std::string quote_sheet(std::string_view sheet) {
  const bool plain = !sheet.empty() && !is_digit(sheet.front()) &&
                     std::all_of(sheet.begin(), sheet.end(),
                                 [](char c) { return is_alpha(c) || is_digit(c) || c == '_'; }) &&
                     !looks_like_cell(sheet);
  if (plain) return std::string(sheet);
  std::string out = "'";
  for (char c : sheet) {
    out += c;
    if (c == '\'') out += '\'';
  }
  out += '\'';
  return out;
}

std::string column_letters(std::size_t index) {
  std::string letters;
  std::size_t n = index + 1;  // bijective base 26
  while (n > 0) {
    --n;
    letters.insert(letters.begin(), static_cast<char>('A' + n % 26));
    n /= 26;
  }
  return letters;
}

std::string cell_ref(std::string_view sheet, std::size_t column, std::size_t row_number) {
  return quote_sheet(sheet) + "!" + column_letters(column) + std::to_string(row_number);
}

}  // namespace google_sheets

// The execute error vocabulary of seed 004, with the HTTP status its table gives each code.
#pragma once

#include <boost/json.hpp>

#include <string>

namespace plugboard::execute {

struct ExecuteError {
  std::string code;
  std::string message;
  boost::json::object details{};

  int http_status() const;
};

}  // namespace plugboard::execute

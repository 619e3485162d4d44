// Method + path-pattern routing. Patterns are literal segments and {name} captures:
// "/api/v2/connections/{id}". Routes are added at start-up and never change after.
#pragma once

#include "http/exchange.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace plugboard::http {

// Who may call a route.
enum class Access {
  open,     // no key (health, OpenAPI)
  self,     // the handler authenticates itself (execute answers in its own envelope)
  read,     // a key with read
  write,    // a key with write
  execute,  // a key with execute
  admin,    // a key with admin
};

using Handler = std::function<void(Exchange&)>;

struct Route {
  std::string method;
  std::string pattern;
  Access access;
  Handler handler;
  std::vector<std::string> segments;  // split pattern
};

class Router {
 public:
  void add(std::string method, std::string pattern, Access access, Handler handler);

  enum class Outcome { matched, no_path, wrong_method };
  // Finds the route for a method and path; fills `params` on a match.
  // HEAD is served by the GET route (the server sends no body). On wrong_method, `allow`
  // lists the methods the path does accept.
  Outcome match(std::string_view method, std::string_view path, const Route*& route,
                std::map<std::string, std::string>& params, std::string* allow = nullptr) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace plugboard::http

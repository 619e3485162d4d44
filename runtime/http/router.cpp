#include "http/router.hpp"

#include <Poco/URI.h>

namespace plugboard::http {
namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '/') {
      ++pos;
      continue;
    }
    auto end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

}  // namespace

void Router::add(std::string method, std::string pattern, Access access, Handler handler) {
  Route r{std::move(method), std::move(pattern), access, std::move(handler), {}};
  for (auto s : split(r.pattern)) r.segments.emplace_back(s);
  routes_.push_back(std::move(r));
}

Router::Outcome Router::match(std::string_view method, std::string_view path, const Route*& route,
                              std::map<std::string, std::string>& params, std::string* allow) const {
  if (method == "HEAD") method = "GET";
  const auto parts = split(path);
  Outcome best = Outcome::no_path;
  for (const auto& r : routes_) {
    if (r.segments.size() != parts.size()) continue;
    bool ok = true;
    for (std::size_t i = 0; i < parts.size() && ok; ++i) {
      const auto& seg = r.segments[i];
      ok = (seg.size() > 1 && seg.front() == '{') || seg == parts[i];
    }
    if (!ok) continue;
    if (r.method != method) {
      best = Outcome::wrong_method;
      if (allow != nullptr && allow->find(r.method) == std::string::npos) {
        *allow += (allow->empty() ? "" : ", ") + r.method;
        if (r.method == "GET") *allow += ", HEAD";
      }
      continue;
    }
    params.clear();
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const auto& seg = r.segments[i];
      if (seg.front() == '{') {
        std::string decoded;
        Poco::URI::decode(std::string(parts[i]), decoded);
        params[seg.substr(1, seg.size() - 2)] = std::move(decoded);
      }
    }
    route = &r;
    return Outcome::matched;
  }
  return best;
}

}  // namespace plugboard::http

#include "http/router.hpp"

#include <gtest/gtest.h>

using plugboard::http::Access;
using plugboard::http::Router;

TEST(Router, MatchesLiteralsAndCapturesAndDecodes) {
  Router r;
  r.add("GET", "/api/v2/catalog", Access::read, nullptr);
  r.add("GET", "/api/v2/catalog/{provider}", Access::read, nullptr);
  r.add("POST", "/api/execute/{connection_id}/{action}", Access::self, nullptr);
  const plugboard::http::Route* route = nullptr;
  std::map<std::string, std::string> params;
  EXPECT_EQ(r.match("GET", "/api/v2/catalog/", route, params), Router::Outcome::matched);
  EXPECT_EQ(route->pattern, "/api/v2/catalog");
  EXPECT_EQ(r.match("GET", "/api/v2/catalog/google%20drive", route, params), Router::Outcome::matched);
  EXPECT_EQ(params.at("provider"), "google drive");
  EXPECT_EQ(r.match("POST", "/api/execute/c1/send-message", route, params), Router::Outcome::matched);
  EXPECT_EQ(params.at("connection_id"), "c1");
  EXPECT_EQ(params.at("action"), "send-message");
}

TEST(Router, TellsMissingPathFromWrongMethod) {
  Router r;
  r.add("GET", "/healthz", Access::open, nullptr);
  const plugboard::http::Route* route = nullptr;
  std::map<std::string, std::string> params;
  EXPECT_EQ(r.match("POST", "/healthz", route, params), Router::Outcome::wrong_method);
  EXPECT_EQ(r.match("GET", "/nope", route, params), Router::Outcome::no_path);
  EXPECT_EQ(r.match("GET", "/healthz/extra", route, params), Router::Outcome::no_path);
}

TEST(Router, HeadIsServedByGetAndWrongMethodListsAllowed) {
  Router r;
  r.add("GET", "/api/v2/connections/{id}", Access::read, nullptr);
  r.add("DELETE", "/api/v2/connections/{id}", Access::write, nullptr);
  const plugboard::http::Route* route = nullptr;
  std::map<std::string, std::string> params;
  EXPECT_EQ(r.match("HEAD", "/api/v2/connections/c1", route, params), Router::Outcome::matched);
  EXPECT_EQ(route->method, "GET");
  std::string allow;
  EXPECT_EQ(r.match("PUT", "/api/v2/connections/c1", route, params, &allow), Router::Outcome::wrong_method);
  EXPECT_EQ(allow, "GET, HEAD, DELETE");
}

// Log lines: the request id of the thread's request on every line, JSON lines that parse,
// and secrets redacted whatever shape they take.
#include "log/line_formatter.hpp"
#include "log/redact.hpp"
#include "log/request_scope.hpp"

#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>
#include <boost/json.hpp>

#include <string>
#include <thread>

namespace {

using plugboard::log::redact;

std::string format(plugboard::log::Format f, std::string_view text,
                   spdlog::level::level_enum level = spdlog::level::info) {
  auto formatter = plugboard::log::make_formatter(f);
  spdlog::details::log_msg msg("plugboard", level, spdlog::string_view_t(text.data(), text.size()));
  spdlog::memory_buf_t buf;
  formatter->format(msg, buf);
  return std::string(buf.data(), buf.size());
}

TEST(Redact, LeavesOrdinaryLinesAlone) {
  const std::string line = "plugin slack 1.0.0 loaded from slack.yaml (4 actions)";
  EXPECT_EQ(redact(line), line);
  EXPECT_EQ(redact("connection conn_1: status connected"), "connection conn_1: status connected");
}

TEST(Redact, AuthorizationSchemes) {
  EXPECT_EQ(redact("sent Authorization: Bearer abc.DEF-123_x~"), "sent Authorization: Bearer [REDACTED]");
  EXPECT_EQ(redact("upstream said bearer eyJhbGciOi.payload.sig"), "upstream said bearer [REDACTED]");
  EXPECT_EQ(redact("header Basic dXNlcjpwYXNz"), "header Basic [REDACTED]");
}

TEST(Redact, JsonMembersNamedSecret) {
  EXPECT_EQ(redact(R"({"client_secret":"s3cr3t","name":"n"})"),
            R"({"client_secret":"[REDACTED]","name":"n"})");
  EXPECT_EQ(redact(R"({"access_token" : "a\"b", "refresh_token":"r"})"),
            R"({"access_token" : "[REDACTED]", "refresh_token":"[REDACTED]"})");
  EXPECT_EQ(redact(R"({"password":"hunter2","api_key":"k1","apiKey":"k2"})"),
            R"({"password":"[REDACTED]","api_key":"[REDACTED]","apiKey":"[REDACTED]"})");
}

TEST(Redact, KeyValuePairs) {
  EXPECT_EQ(redact("GET /cb?code=1&access_token=abc123&state=s"),
            "GET /cb?code=1&access_token=[REDACTED]&state=s");
  EXPECT_EQ(redact("smtp password=hunter2 user=bob"), "smtp password=[REDACTED] user=bob");
  EXPECT_EQ(redact("X-Api-Key: zzz"), "X-Api-Key: [REDACTED]");
}

TEST(Redact, KnownTokenShapesWithoutAName) {
  const std::string key = "pb_" + std::string(40, 'A');
  EXPECT_EQ(redact("key " + key + " used"), "key pb_[REDACTED] used");
  EXPECT_EQ(redact("got xoxb-1234-abcd from the client"), "got xox-[REDACTED] from the client");
  // The shown prefix of an API key ("pb_3f9a") is short and stays readable.
  EXPECT_EQ(redact("key prefix pb_3f9a revoked"), "key prefix pb_3f9a revoked");
}

TEST(LineFormat, TextCarriesTheRequestIdInsideAScope) {
  EXPECT_EQ(format(plugboard::log::Format::text, "hello").substr(24), " info hello\n");
  {
    plugboard::log::RequestScope scope("req_abc");
    const auto line = format(plugboard::log::Format::text, "hello");
    EXPECT_NE(line.find(" info request_id=req_abc hello\n"), std::string::npos) << line;
    // Plugin lines name their request already: not twice.
    const auto plugin = format(plugboard::log::Format::text, "[slack] request_id=req_abc hi");
    EXPECT_EQ(plugin.find("request_id=req_abc [slack]"), std::string::npos) << plugin;
  }
  EXPECT_EQ(plugboard::log::current_request_id(), "");
}

TEST(LineFormat, ScopesArePerThread) {
  plugboard::log::RequestScope scope("req_main");
  std::string other;
  std::thread([&] { other = std::string(plugboard::log::current_request_id()); }).join();
  EXPECT_EQ(other, "");
  EXPECT_EQ(plugboard::log::current_request_id(), "req_main");
}

TEST(LineFormat, JsonLinesParseAndEscape) {
  const std::string nasty = "quote \" backslash \\ newline \n tab \t bell \x07 utf8 \xc3\xa9";
  auto line = format(plugboard::log::Format::json, nasty, spdlog::level::warn);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line per entry";
  auto v = boost::json::parse(line).as_object();
  EXPECT_EQ(v["msg"].as_string(), nasty);
  EXPECT_EQ(v["level"].as_string(), "warning");
  EXPECT_FALSE(v.contains("request_id"));
  EXPECT_EQ(v["ts"].as_string().size(), 24u);  // 2026-01-01T12:00:00.000Z

  plugboard::log::RequestScope scope("req_json");
  v = boost::json::parse(format(plugboard::log::Format::json, R"(login {"password":"hunter2"})")).as_object();
  EXPECT_EQ(v["request_id"].as_string(), "req_json");
  EXPECT_EQ(v["msg"].as_string(), R"(login {"password":"[REDACTED]"})");
}

}  // namespace

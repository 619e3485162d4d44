// The hand-written Prometheus exposition: histogram buckets are cumulative and end in +Inf
// with _count equal to it, labels are escaped, and requests are counted per route template.
#include "observability/metrics.hpp"

#include <gtest/gtest.h>

#include <sstream>

using namespace plugboard::observability;
using std::chrono::microseconds;
using std::chrono::milliseconds;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

}  // namespace

TEST(Histogram, RendersCumulativeBucketsSumAndCount) {
  Histogram h;
  h.observe(microseconds(300));         // <= 0.0005
  h.observe(microseconds(500));         // exactly on a bound: counted in it
  h.observe(milliseconds(20));          // <= 0.025
  h.observe(std::chrono::seconds(30));  // beyond the last bound: +Inf only
  std::string out;
  h.render(out, "x_seconds", {{"route", "/a/{id}"}});
  EXPECT_TRUE(has_line(out, R"(x_seconds_bucket{route="/a/{id}",le="0.0005"} 2)")) << out;
  EXPECT_TRUE(has_line(out, R"(x_seconds_bucket{route="/a/{id}",le="0.01"} 2)")) << out;
  EXPECT_TRUE(has_line(out, R"(x_seconds_bucket{route="/a/{id}",le="0.025"} 3)")) << out;
  EXPECT_TRUE(has_line(out, R"(x_seconds_bucket{route="/a/{id}",le="10"} 3)")) << out;
  EXPECT_TRUE(has_line(out, R"(x_seconds_bucket{route="/a/{id}",le="+Inf"} 4)")) << out;
  EXPECT_TRUE(has_line(out, R"(x_seconds_sum{route="/a/{id}"} 30.0208)")) << out;
  EXPECT_TRUE(has_line(out, R"(x_seconds_count{route="/a/{id}"} 4)")) << out;
  EXPECT_EQ(h.count(), 4u);
}

TEST(PrometheusText, EscapesLabelValues) {
  std::string out;
  append_sample(out, "m", {{"a", "q\"b\\s\nn"}}, std::uint64_t{7});
  EXPECT_EQ(out, "m{a=\"q\\\"b\\\\s\\nn\"} 7\n");
  EXPECT_EQ(format_number(0.25), "0.25");
  EXPECT_EQ(format_number(3), "3");
}

TEST(HttpMetrics, CountsPerRouteTemplateAndStatus) {
  HttpMetrics m(
      std::vector<HttpMetrics::RouteLabel>{{"GET", "/api/v2/connections/{id}"}, {"POST", "/api/v2/execute"}});
  m.observe(0, 200, milliseconds(1));
  m.observe(0, 200, milliseconds(2));
  m.observe(0, 404, milliseconds(1));
  m.observe(1, 429, microseconds(50));
  m.observe(HttpMetrics::kUnmatched, 404, microseconds(10));
  EXPECT_EQ(m.requests(0, 200), 2u);
  EXPECT_EQ(m.requests(0, 404), 1u);
  EXPECT_EQ(m.requests(1, 200), 0u);
  std::string out;
  m.render(out);
  EXPECT_TRUE(has_line(out, "# TYPE plugboard_http_requests_total counter")) << out;
  EXPECT_TRUE(has_line(
      out, R"(plugboard_http_requests_total{method="GET",route="/api/v2/connections/{id}",status="200"} 2)"))
      << out;
  EXPECT_TRUE(
      has_line(out, R"(plugboard_http_requests_total{method="POST",route="/api/v2/execute",status="429"} 1)"))
      << out;
  EXPECT_TRUE(has_line(out, R"(plugboard_http_requests_total{method="",route="unmatched",status="404"} 1)"))
      << out;
  EXPECT_TRUE(has_line(
      out,
      R"(plugboard_http_request_duration_seconds_count{method="GET",route="/api/v2/connections/{id}"} 3)"))
      << out;
}

TEST(HttpMetrics, MoreStatusesThanSlotsAreCountedAsOther) {
  HttpMetrics m(std::vector<HttpMetrics::RouteLabel>{{"GET", "/x"}});
  for (int status = 200; status < 230; ++status) m.observe(0, status, microseconds(1));
  std::string out;
  m.render(out);
  EXPECT_TRUE(has_line(out, R"(plugboard_http_requests_total{method="GET",route="/x",status="200"} 1)"))
      << out;
  EXPECT_TRUE(has_line(out, R"(plugboard_http_requests_total{method="GET",route="/x",status="other"} 14)"))
      << out;
}

TEST(Metrics, ExecutionsAndGaugesAndAFailingGaugeIsLeftOut) {
  Metrics m;
  m.executions().observe("slack", "send-message", "success", milliseconds(120));
  m.executions().observe("slack", "send-message", "error", milliseconds(80));
  m.executions().observe("slack", "send-message", "success", milliseconds(10));
  m.add_gauge({"g_ok", "A gauge.", [] { return std::vector<Gauge::Sample>{{{{"k", "v"}}, 2.5}}; }});
  m.add_gauge(
      {"g_bad", "Broken.", []() -> std::vector<Gauge::Sample> { throw std::runtime_error("db\ndown"); }});
  const auto out = m.render();
  EXPECT_TRUE(has_line(
      out, R"(plugboard_executions_total{provider="slack",action="send-message",status="success"} 2)"))
      << out;
  EXPECT_TRUE(
      has_line(out, R"(plugboard_executions_total{provider="slack",action="send-message",status="error"} 1)"))
      << out;
  EXPECT_TRUE(has_line(out, R"(plugboard_execution_duration_seconds_count{provider="slack"} 3)")) << out;
  EXPECT_TRUE(has_line(out, R"(g_ok{k="v"} 2.5)")) << out;
  EXPECT_TRUE(has_line(out, "# g_bad unavailable: db down")) << out;
  EXPECT_EQ(out.find("# TYPE g_bad"), std::string::npos) << out;
}

// A plugin run out of process through the proxy, with the real plugboard-plugin-host and the
// real host services: results and host callbacks as in process, concurrent calls, and each
// way a plugin breaks (crash, hang) failing only its own calls, then a restart after backoff.
#include "isolation/process_plugin.hpp"
#include "execute/call.hpp"
#include "plugins/manifest.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <thread>

using namespace plugboard;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

isolation::IsolationOptions options() {
  isolation::IsolationOptions o;
  o.host_binary = PLUGBOARD_PLUGIN_HOST;
  o.memory_limit_mb = 256;
  o.restart_backoff = milliseconds(100);
  o.max_restart_backoff = milliseconds(400);
  o.kill_grace = milliseconds(100);
  return o;
}

std::shared_ptr<const plugins::LoadedPlugin> open(const std::string& name) {
  auto m =
      plugins::parse_manifest(std::filesystem::path(PLUGBOARD_TEST_PLUGIN_DIR) / name / (name + ".yaml"));
  return isolation::open_isolated(std::move(m), execute::host_api(), options());
}

void append(void* ctx, const char* data, std::size_t len) {
  static_cast<std::string*>(ctx)->append(data, len);
}

struct Result {
  int32_t status;
  boost::json::value out;
};

Result invoke(const plugins::LoadedPlugin& p, const std::string& action, const std::string& params = "{}",
              milliseconds deadline = milliseconds(2000), const boost::json::object* credentials = nullptr) {
  pb_call call;
  call.manifest = &p.manifest;
  call.request_id = "req_test";
  call.action = action;
  call.credentials = credentials;
  call.deadline = Clock::now() + deadline;
  std::string out;
  pb_writer w{&out, &append};
  const int32_t status =
      p.api->invoke_action(&call, action.data(), action.size(), params.data(), params.size(), &w);
  return {status, boost::json::parse(out)};
}

std::string code_of(const Result& r) { return std::string(r.out.at("code").as_string()); }

// Waits out the restart backoff: the healthy action answers again.
void await_restart(const plugins::LoadedPlugin& p) {
  const auto until = Clock::now() + std::chrono::seconds(5);
  while (invoke(p, "ok").status != PB_OK) {
    ASSERT_LT(Clock::now(), until) << "the plugin process did not come back";
    std::this_thread::sleep_for(milliseconds(20));
  }
}

}  // namespace

TEST(ProcessPlugin, AnswersLikeTheSamePluginInProcess) {
  auto echo = open("echo");
  EXPECT_EQ(echo->library.is_loaded(), false);  // no plugin code in this process
  auto r = invoke(*echo, "echo", R"({"message":"hi","count":2})");
  ASSERT_EQ(r.status, PB_OK);
  EXPECT_EQ(r.out, boost::json::parse(R"({"message":"hi","count":2})"));
  auto fail = invoke(*echo, "fail");
  EXPECT_EQ(fail.status, PB_ERROR);
  EXPECT_EQ(code_of(fail), "ECHO_FAILED");
  ASSERT_NE(echo->api->test_connection, nullptr);  // offered because the plugin has one
}

TEST(ProcessPlugin, HostCallbacksAreAnsweredWithTheCallersCall) {
  auto echo = open("echo");
  boost::json::object creds{{"token", "secret-token"}};
  auto r = invoke(*echo, "whoami", "{}", milliseconds(2000), &creds);
  ASSERT_EQ(r.status, PB_OK) << r.out;
  EXPECT_EQ(r.out.at("provider"), "echo");
  EXPECT_EQ(r.out.at("request_id"), "req_test");
  EXPECT_EQ(r.out.at("action"), "whoami");
  EXPECT_EQ(r.out.at("has_credentials"), true);
  EXPECT_EQ(r.out.at("credential_fields"), boost::json::array{"token"});
  auto none = invoke(*echo, "whoami");
  EXPECT_EQ(none.out.at("has_credentials"), false);
}

TEST(ProcessPlugin, CooperativeCancellationUsesTheForwardedDeadline) {
  auto echo = open("echo");
  const auto started = Clock::now();
  auto r = invoke(*echo, "slow", "{}", milliseconds(200));
  const auto took = Clock::now() - started;
  EXPECT_EQ(r.status, PB_ERROR);
  EXPECT_EQ(code_of(r), "CANCELLED");  // the plugin stopped itself: nothing was killed
  EXPECT_GE(took, milliseconds(190));
  EXPECT_LT(took, milliseconds(1000));  // generous: the machine may be busy
}

TEST(ProcessPlugin, ConcurrentCallsAreMultiplexedOnOneProcess) {
  auto echo = open("echo");
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::string msg = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto r = invoke(*echo, "echo", R"({"message":")" + msg + R"("})");
        if (r.status == PB_OK && r.out.at("message") == msg.c_str()) ++good;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 200);
}

TEST(ProcessPlugin, CrashFailsTheCallThenRestartsAfterBackoff) {
  auto broken = open("broken");
  const auto before = isolation::restart_counts()["broken"];
  auto r = invoke(*broken, "segfault");
  EXPECT_EQ(r.status, PB_ERROR);
  EXPECT_EQ(code_of(r), "PLUGIN_CRASHED");
  EXPECT_EQ(r.out.at("message"), "plugin process crashed: signal 11 (SIGSEGV)");
  auto fast = invoke(*broken, "ok");  // within the backoff: no new process yet
  EXPECT_EQ(code_of(fast), "PLUGIN_RESTARTING");
  EXPECT_EQ(fast.out.at("message"), "plugin process restarting");
  await_restart(*broken);
  EXPECT_EQ(isolation::restart_counts()["broken"], before + 1);
}

TEST(ProcessPlugin, AHangIsKilledAfterItsDeadlineAndOtherCallsInFlightFail) {
  auto broken = open("broken");
  Result other{};
  std::thread t([&] { other = invoke(*broken, "spin", "{}", milliseconds(5000)); });
  std::this_thread::sleep_for(milliseconds(50));
  const auto started = Clock::now();
  auto r = invoke(*broken, "spin", "{}", milliseconds(300));
  const auto took = Clock::now() - started;
  t.join();
  EXPECT_EQ(code_of(r), "DEADLINE_EXCEEDED");
  EXPECT_GE(took, milliseconds(300));
  EXPECT_LT(took, milliseconds(3000));
  // The other call ran on the same process: it fails with the reason, long before its own deadline.
  EXPECT_EQ(code_of(other), "PLUGIN_CRASHED");
  EXPECT_NE(std::string(other.out.at("message").as_string()).find("ran past its deadline"), std::string::npos)
      << other.out;
  await_restart(*broken);
}

TEST(ProcessPlugin, LeakEndsAtTheMemoryLimit) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "the plugin host sets no address-space limit under ASan";
#endif
  auto broken = open("broken");
  auto r = invoke(*broken, "leak", "{}", milliseconds(5000));
  EXPECT_EQ(code_of(r), "PLUGIN_CRASHED");
  EXPECT_EQ(r.out.at("message"), "plugin process ran out of memory (memory_limit_mb reached)");
}

TEST(ProcessPlugin, APluginTheChildRefusesIsALoadErrorWithItsReason) {
  try {
    open("mismatch");
    FAIL() << "a mismatched plugin was opened";
  } catch (const plugins::LoadError& e) {
    EXPECT_NE(std::string(e.what()).find("isolation: process"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("manifest and library disagree"), std::string::npos) << e.what();
  }
}

TEST(ProcessPlugin, LogLinesBeforeTheRefusalDoNotHideIt) {
  try {
    open("null_entry");  // logs through the host, then returns no table
    FAIL() << "a plugin without a table was opened";
  } catch (const plugins::LoadError& e) {
    EXPECT_NE(std::string(e.what()).find("entry point returned no plugin table"), std::string::npos)
        << e.what();
  }
}

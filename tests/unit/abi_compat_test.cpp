// Plugins built for other ABI minors, loaded into this runtime: a 1.0 plugin compiled against the
// frozen 1.0 header (tests/abi/v1_0) must load and run; a plugin from a future minor must load
// with its unknown trailing members ignored, unless it asks for a newer host than this one.
#include "execute/call.hpp"
#include "plugins/loader.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace fs = std::filesystem;
using namespace plugboard::plugins;

namespace {

const fs::path kAbiPlugins = PLUGBOARD_ABI_PLUGIN_DIR;

std::shared_ptr<const LoadedPlugin> load(const std::string& id) {
  static const Loader loader{plugboard::execute::host_api()};
  return loader.load(kAbiPlugins / id / (id + ".yaml"));
}

struct Result {
  int32_t status = -1;
  std::string out;
};

Result call(const LoadedPlugin& p, const std::string& action, const std::string& params) {
  Result r;
  pb_writer w{&r.out, [](void* c, const char* d, size_t n) { static_cast<std::string*>(c)->append(d, n); }};
  pb_call ctx;
  ctx.manifest = &p.manifest;
  ctx.request_id = "req-abi";
  ctx.action = action;
  ctx.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  r.status = p.api->invoke_action(&ctx, action.data(), action.size(), params.data(), params.size(), &w);
  return r;
}

}  // namespace

TEST(AbiCompat, Abi10PluginLoadsWithItsShortTable) {
  auto p = load("abi_v1_0");
  EXPECT_EQ(p->id(), "abi_v1_0");
  EXPECT_EQ(p->api->abi_minor, 0u);
  // The 1.0 table ends at shutdown: the runtime must not have read trigger hooks past it.
  EXPECT_LT(p->api->struct_size, sizeof(pb_plugin_api));
  EXPECT_EQ(p->hooks.poll, nullptr);
  EXPECT_EQ(p->hooks.handle_webhook, nullptr);
  EXPECT_EQ(p->hooks.subscribe, nullptr);
  EXPECT_EQ(p->hooks.unsubscribe, nullptr);
}

TEST(AbiCompat, Abi10PluginRunsItsActions) {
  auto p = load("abi_v1_0");
  auto r = call(*p, "echo", R"({"message":"from 1.0"})");
  EXPECT_EQ(r.status, PB_OK);
  EXPECT_EQ(r.out, R"({"message":"from 1.0"})");

  // Through the host's 1.0 services (log, call_info), which must sit where 1.0 put them.
  r = call(*p, "info", "{}");
  ASSERT_EQ(r.status, PB_OK) << r.out;
  auto info = boost::json::parse(r.out).as_object();
  EXPECT_EQ(info.at("provider").as_string(), "abi_v1_0");
  EXPECT_EQ(info.at("request_id").as_string(), "req-abi");
  EXPECT_EQ(info.at("action").as_string(), "info");

  r = call(*p, "fail", "{}");
  EXPECT_EQ(r.status, PB_ERROR);
  EXPECT_NE(r.out.find("V1_0_FAILED"), std::string::npos) << r.out;
  r = call(*p, "nope", "{}");
  EXPECT_EQ(r.status, PB_NOT_FOUND);
}

TEST(AbiCompat, FutureMinorLoadsAndItsExtraMembersAreIgnored) {
  auto p = load("abi_v1_99");
  EXPECT_EQ(p->api->abi_minor, 99u);
  EXPECT_GT(p->api->struct_size, sizeof(pb_plugin_api));
  EXPECT_EQ(p->hooks.poll, nullptr);  // the 1.1 slots it left empty, read as such
  auto r = call(*p, "echo", R"({"n":99})");
  EXPECT_EQ(r.status, PB_OK);
  EXPECT_EQ(r.out, R"({"n":99})");
}

TEST(AbiCompat, PluginNeedingANewerHostMinorIsRefusedWithBothVersions) {
  try {
    load("abi_v1_99_needs_host");
    FAIL() << "loaded a plugin that needs host ABI 1.99";
  } catch (const LoadError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("abi_v1_99_needs_host needs a host of ABI 1.99 or later"), std::string::npos) << msg;
    EXPECT_NE(msg.find("this runtime is 1." + std::to_string(PLUGBOARD_ABI_MINOR)), std::string::npos) << msg;
  }
}

// The loader against real libraries: one good plugin and one per way a plugin can be wrong.
#include "plugins/loader.hpp"
#include "execute/call.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace fs = std::filesystem;
using namespace plugboard::plugins;

namespace {

const fs::path kPlugins = PLUGBOARD_TEST_PLUGIN_DIR;

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pb_loader_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text) {
    auto p = dir_ / name;
    std::ofstream(p) << text;
    return p;
  }
  // The echo manifest, pointed at its built library, with `edit` applied to its text.
  std::string echo_manifest(const std::string& id = "echo") {
    std::ifstream in(kPlugins / "echo" / "echo.yaml");
    std::string text((std::istreambuf_iterator<char>(in)), {});
    auto replace = [&](const std::string& from, const std::string& to) {
      text.replace(text.find(from), from.size(), to);
    };
    replace("library: libplugboard_echo.so",
            "library: " + (kPlugins / "echo" / "libplugboard_echo.so").string());
    replace("id: echo", "id: " + id);
    return text;
  }
  std::string load_error(const fs::path& manifest) {
    try {
      loader_.load(manifest);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "(loaded)";
  }

  fs::path dir_;
  Loader loader_{plugboard::execute::host_api()};
};

std::string call(const LoadedPlugin& p, const std::string& action, const std::string& params,
                 int32_t& status) {
  std::string out;
  pb_writer w{&out, [](void* c, const char* d, size_t n) { static_cast<std::string*>(c)->append(d, n); }};
  pb_call ctx;
  ctx.manifest = &p.manifest;
  ctx.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  status = p.api->invoke_action(&ctx, action.data(), action.size(), params.data(), params.size(), &w);
  return out;
}

}  // namespace

TEST_F(LoaderTest, LoadsAGoodPluginAndCallsIt) {
  auto p = loader_.load(kPlugins / "echo" / "echo.yaml");
  EXPECT_EQ(p->id(), "echo");
  EXPECT_EQ(p->manifest.actions.size(), 6u);
  int32_t status = -1;
  EXPECT_EQ(call(*p, "echo", R"({"message":"hi"})", status), R"({"message":"hi"})");
  EXPECT_EQ(status, PB_OK);
}

TEST_F(LoaderTest, HandlerErrorsAndExceptionsStayInsideThePlugin) {
  auto p = loader_.load(kPlugins / "echo" / "echo.yaml");
  int32_t status = -1;
  auto out = call(*p, "throw", "{}", status);
  EXPECT_EQ(status, PB_ERROR);
  EXPECT_NE(out.find("PLUGIN_EXCEPTION"), std::string::npos) << out;
  EXPECT_NE(out.find("an ordinary C++ exception"), std::string::npos) << out;
  out = call(*p, "fail", "{}", status);
  EXPECT_EQ(status, PB_ERROR);
  EXPECT_NE(out.find("ECHO_FAILED"), std::string::npos) << out;
  out = call(*p, "nope", "{}", status);
  EXPECT_EQ(status, PB_NOT_FOUND);
}

TEST_F(LoaderTest, MissingLibraryIsRefusedByName) {
  auto text = echo_manifest();
  text.replace(text.find("libplugboard_echo.so"), 20, "libgone.so");
  auto err = load_error(write("echo.yaml", text));
  EXPECT_NE(err.find("libgone.so"), std::string::npos) << err;
  EXPECT_NE(err.find("does not exist"), std::string::npos) << err;
}

TEST_F(LoaderTest, WrongAbiMajorInManifestIsRefusedBeforeOpening) {
  auto text = echo_manifest();
  text.replace(text.find("abi: {major: 1"), 14, "abi: {major: 2");
  auto err = load_error(write("echo.yaml", text));
  EXPECT_NE(err.find("ABI 2.0"), std::string::npos) << err;
  EXPECT_NE(err.find("ABI 1." + std::to_string(PLUGBOARD_ABI_MINOR)), std::string::npos) << err;
}

TEST_F(LoaderTest, WrongAbiMajorInLibraryIsRefused) {
  auto err = load_error(kPlugins / "wrong_major" / "wrong_major.yaml");
  EXPECT_NE(err.find("speaks plugin ABI 2.0"), std::string::npos) << err;
}

TEST_F(LoaderTest, NewerMinorNeededIsRefusedWithBothVersions) {
  auto err = load_error(kPlugins / "needs_newer_host" / "needs_newer_host.yaml");
  EXPECT_NE(err.find("needs a host of ABI 1." + std::to_string(PLUGBOARD_ABI_MINOR + 1)), std::string::npos)
      << err;
}

TEST_F(LoaderTest, ManifestAndLibraryMustAgreeOnActions) {
  auto err = load_error(kPlugins / "mismatch" / "mismatch.yaml");
  EXPECT_NE(err.find("declared but not registered: beta"), std::string::npos) << err;
  EXPECT_NE(err.find("registered but not declared: gamma"), std::string::npos) << err;
}

TEST_F(LoaderTest, EntryReturningNullIsRefused) {
  auto err = load_error(kPlugins / "null_entry" / "null_entry.yaml");
  EXPECT_NE(err.find("returned no plugin table"), std::string::npos) << err;
}

TEST_F(LoaderTest, MalformedYamlNamesFileAndLine) {
  auto file = write("broken.yaml", "id: x\nname: [unclosed\nversion: 1.0.0\n");
  try {
    parse_manifest(file);
    FAIL() << "parsed";
  } catch (const ManifestError& e) {
    EXPECT_EQ(e.file(), "broken.yaml");
    EXPECT_GE(e.line(), 2);
  }
}

TEST_F(LoaderTest, FieldErrorsNameFileLineAndField) {
  auto text = echo_manifest();
  text.replace(text.find("maxLength: 100"), 14, "maxLenght: 100");
  try {
    parse_manifest(write("typo.yaml", text));
    FAIL() << "parsed";
  } catch (const ManifestError& e) {
    EXPECT_EQ(e.field(), "actions[0].parameters");
    EXPECT_GT(e.line(), 1);
    EXPECT_NE(std::string(e.what()).find("maxLenght"), std::string::npos) << e.what();
  }
  try {
    parse_manifest(write("noid.yaml", "manifest_version: 1\nname: X\n"));
    FAIL() << "parsed";
  } catch (const ManifestError& e) {
    EXPECT_EQ(e.field(), "id");
  }
  try {
    parse_manifest(write("unknown.yaml", echo_manifest() + "colour: blue\n"));
    FAIL() << "parsed";
  } catch (const ManifestError& e) {
    EXPECT_EQ(e.field(), "colour");
  }
}

TEST_F(LoaderTest, PinnedHashMustMatch) {
  auto text = echo_manifest() + "sha256: " + std::string(64, 'a') + "\n";
  auto err = load_error(write("echo.yaml", text));
  EXPECT_NE(err.find("manifest pins aaaa"), std::string::npos) << err;
}

TEST_F(LoaderTest, DirectorySkipsBadPluginsAndLoadsTheRest) {
  write("a_echo.yaml", echo_manifest());
  write("b_echo_again.yaml", echo_manifest());  // duplicate provider id
  write("c_broken.yaml", "id: [\n");
  fs::copy(kPlugins / "null_entry", dir_, fs::copy_options::recursive | fs::copy_options::skip_existing);
  auto registry = loader_.load_directory(dir_);
  ASSERT_EQ(registry.plugins().size(), 1u);
  EXPECT_NE(registry.find("echo"), nullptr);
  EXPECT_EQ(registry.find("nope"), nullptr);
  ASSERT_EQ(registry.failures().size(), 3u);
  EXPECT_NE(registry.failures()[0].reason.find("duplicate provider id echo"), std::string::npos)
      << registry.failures()[0].reason;
  EXPECT_EQ(registry.failures()[0].provider, "echo");
  EXPECT_NE(registry.failures()[1].reason.find("c_broken.yaml"), std::string::npos);
  EXPECT_NE(registry.failures()[2].reason.find("no plugin table"), std::string::npos);
}

// The files `plugboard plugins new` writes. @NAME@ is the provider id, @TITLE@ its display
// name, @ABI_MAJOR@/@ABI_MINOR@ the ABI of the SDK this runtime ships.
// (The delimiter is "tpl": clang-format reformats raw strings delimited "pb" as text protos.)
#include "app/scaffold_command.hpp"

#include <plugboard/plugin.h>

#include <cctype>

namespace plugboard::app {
namespace {

constexpr const char* kCMakeLists =
    R"tpl(# @TITLE@: a Plugboard plugin. Build and test it against the installed SDK:
#   cmake -S . -B build -DCMAKE_PREFIX_PATH=<SDK prefix> && cmake --build build && ctest --test-dir build
# build/plugins/ then holds the library and its manifest, ready to copy into a plugins directory.
cmake_minimum_required(VERSION 3.20)
project(@NAME@_plugin LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)

find_package(PlugboardSDK @ABI_MAJOR@.@ABI_MINOR@ REQUIRED)

plugboard_add_plugin(NAME @NAME@
  SOURCES src/@NAME@_plugin.cpp
  MANIFEST @NAME@.yaml
  OUTPUT_DIR ${CMAKE_BINARY_DIR}/plugins)

# The test loads the built library through the C ABI, as the runtime does, and calls it.
enable_testing()
add_executable(@NAME@_test test/@NAME@_test.cpp)
target_link_libraries(@NAME@_test PRIVATE Plugboard::SDK Boost::json ${CMAKE_DL_LIBS})
add_dependencies(@NAME@_test plugboard_plugin_@NAME@)
add_test(NAME @NAME@_test COMMAND @NAME@_test $<TARGET_FILE:plugboard_plugin_@NAME@>)
)tpl";

constexpr const char* kManifest =
    R"tpl(# The catalog entry and the contract of the @NAME@ plugin; see docs/manifest.md.
manifest_version: 1
id: @NAME@
name: @TITLE@
version: 0.1.0
description: @TITLE@ plugin made with plugboard plugins new
category: other
library: libplugboard_@NAME@.so
abi: {major: @ABI_MAJOR@, minor: @ABI_MINOR@}
features: [reverse-text]
actions:
  - slug: reverse-text
    name: Reverse Text
    description: Returns the text reversed, optionally upper-cased
    idempotent: true
    parameters:
      type: object
      properties:
        text: {type: string, minLength: 1, maxLength: 1000, description: The text to reverse}
        uppercase: {type: boolean, default: false, description: Upper-case the result}
      required: [text]
      additionalProperties: false
    output:
      type: object
      properties:
        text: {type: string}
)tpl";

constexpr const char* kPlugin =
    R"tpl(// The @NAME@ plugin: one action, no network. Add actions with plugin.action("slug", handler)
// and declare each in @NAME@.yaml; `plugboard plugins check` tells you when they disagree.
#include <plugboard/sdk.hpp>

#include <algorithm>
#include <cctype>
#include <string>

namespace {

namespace json = boost::json;

// Parameters arrive already validated against the manifest's schema.
json::value reverse_text(plugboard::Context& ctx, const json::object& params) {
  std::string text(params.at("text").as_string());
  if (text.find_first_not_of(' ') == std::string::npos)
    throw plugboard::ActionError{"BLANK_TEXT", "text is only spaces", {{"length", text.size()}}};
  std::reverse(text.begin(), text.end());
  if (const auto* up = params.if_contains("uppercase"); up != nullptr && up->as_bool())
    for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ctx.info("reversed " + std::to_string(text.size()) + " characters");
  return json::object{{"text", text}};
}

plugboard::Plugin make_plugin() {
  plugboard::Plugin plugin("@NAME@");
  plugin.action("reverse-text", reverse_text);
  return plugin;
}

}  // namespace

PLUGBOARD_PLUGIN(make_plugin)
)tpl";

constexpr const char* kTest =
    R"tpl(// Loads the built library through the C ABI, as the runtime does, and calls its action with a
// minimal host (no network, no credentials). Exit code 0 when every check holds.
#include <plugboard/plugin.h>

#include <boost/json.hpp>

#include <dlfcn.h>

#include <cstdio>
#include <string>

namespace {

namespace json = boost::json;

int failures = 0;

void expect(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  if (!ok) ++failures;
}

void log_line(pb_call*, int32_t, const char* msg, size_t len) {
  std::printf("  plugin log: %.*s\n", static_cast<int>(len), msg);
}
int32_t no_http(pb_call*, const pb_http_request*, const pb_http_response*) { return PB_HTTP_ERR_REFUSED; }
int32_t not_cancelled(pb_call*) { return 0; }
int64_t plenty_of_time(pb_call*) { return 30000; }
int32_t empty_object(pb_call*, const pb_writer* out) {
  out->write(out->ctx, "{}", 2);
  return PB_OK;
}
int32_t no_state(pb_call*, const pb_writer*) { return PB_ERROR; }
int32_t no_state_set(pb_call*, const char*, size_t) { return PB_ERROR; }

void append(void* ctx, const char* data, size_t len) { static_cast<std::string*>(ctx)->append(data, len); }

// Invokes one action; returns the status and the JSON the plugin wrote.
int32_t invoke(const pb_plugin_api* api, const std::string& action, const std::string& params, json::value& result) {
  std::string text;
  pb_writer out{&text, &append};
  int32_t status = api->invoke_action(nullptr, action.data(), action.size(), params.data(), params.size(), &out);
  boost::system::error_code ec;
  result = json::parse(text, ec);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s path/to/libplugboard_@NAME@.so\n", argv[0]);
    return 2;
  }
  void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    std::fprintf(stderr, "cannot open %s: %s\n", argv[1], dlerror());
    return 1;
  }
  auto entry = reinterpret_cast<pb_plugin_entry_fn>(dlsym(lib, PLUGBOARD_ENTRY_SYMBOL));
  expect(entry != nullptr, "library exports " PLUGBOARD_ENTRY_SYMBOL);
  if (entry == nullptr) return 1;

  pb_host_api host{};
  host.abi_major = PLUGBOARD_ABI_MAJOR;
  host.abi_minor = PLUGBOARD_ABI_MINOR;
  host.struct_size = sizeof(pb_host_api);
  host.log = &log_line;
  host.http_request = &no_http;
  host.is_cancelled = &not_cancelled;
  host.remaining_ms = &plenty_of_time;
  host.credentials = &empty_object;
  host.call_info = &empty_object;
  host.state_get = &no_state;
  host.state_set = &no_state_set;

  const pb_plugin_api* api = entry(&host);
  expect(api != nullptr && api->abi_major == PLUGBOARD_ABI_MAJOR, "entry returns a plugin table of this ABI major");
  if (api == nullptr) return 1;

  std::string described;
  pb_writer w{&described, &append};
  expect(api->describe(&w) == PB_OK, "describe() succeeds");
  json::value d = json::parse(described);
  expect(d.at("provider") == "@NAME@", "describe() names provider @NAME@");
  expect(d.at("actions") == json::array{"reverse-text"}, "describe() lists reverse-text");

  json::value r;
  expect(invoke(api, "reverse-text", "{\"text\":\"abc\",\"uppercase\":true}", r) == PB_OK &&
             r == json::value(json::object{{"text", "CBA"}}),
         "reverse-text reverses and upper-cases: " + json::serialize(r));
  expect(invoke(api, "reverse-text", "{\"text\":\"   \"}", r) == PB_ERROR && r.is_object() &&
             r.as_object().if_contains("code") != nullptr && r.at("code") == "BLANK_TEXT",
         "blank text is an ActionError BLANK_TEXT: " + json::serialize(r));
  expect(invoke(api, "no-such-action", "{}", r) == PB_NOT_FOUND, "an unknown action is PB_NOT_FOUND");

  std::printf("%s\n", failures == 0 ? "all checks passed" : "some checks FAILED");
  return failures == 0 ? 0 : 1;
}
)tpl";

constexpr const char* kReadme = R"tpl(# @TITLE@ — a Plugboard plugin

Made with `plugboard plugins new @NAME@`. The plugin author guide (docs/plugin-authors.md in
the Plugboard sources) explains each part.

    cmake -S . -B build -DCMAKE_PREFIX_PATH=<where the Plugboard SDK is installed>
    cmake --build build
    ctest --test-dir build --output-on-failure      # loads the library and calls reverse-text
    plugboard plugins check build/plugins            # the conformance check
    cp build/plugins/* <your plugins directory>/     # then restart or `plugboard plugins reload`

- `@NAME@.yaml`: the manifest (catalog entry, actions and their JSON Schemas).
- `src/@NAME@_plugin.cpp`: the code; each action the manifest declares is registered here.
- `test/@NAME@_test.cpp`: loads the built library through the C ABI and calls the action.
)tpl";

constexpr const char* kGitignore = "build/\n";

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

// "acme_crm" -> "Acme Crm"
std::string title_of(const std::string& name) {
  std::string out;
  bool start = true;
  for (char c : name) {
    if (c == '_') {
      out += ' ';
      start = true;
      continue;
    }
    out += start ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    start = false;
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> scaffold_files(const std::string& name) {
  std::map<std::string, std::string> files{{"CMakeLists.txt", kCMakeLists},
                                           {name + ".yaml", kManifest},
                                           {"src/" + name + "_plugin.cpp", kPlugin},
                                           {"test/" + name + "_test.cpp", kTest},
                                           {"README.md", kReadme},
                                           {".gitignore", kGitignore}};
  for (auto& [path, text] : files) {
    replace_all(text, "@NAME@", name);
    replace_all(text, "@TITLE@", title_of(name));
    replace_all(text, "@ABI_MAJOR@", std::to_string(PLUGBOARD_ABI_MAJOR));
    replace_all(text, "@ABI_MINOR@", std::to_string(PLUGBOARD_ABI_MINOR));
  }
  return files;
}

}  // namespace plugboard::app

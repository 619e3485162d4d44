// A plugin whose describe() lists its one action twice: the loader's set comparison lets it
// through, the conformance check (`plugboard plugins check`) must not.
#include <plugboard/plugin.h>

#include <cstring>

namespace {

int32_t describe(const pb_writer* out) {
  const char* text = R"({"provider":"bad_describe","actions":["ping","ping"],"triggers":[]})";
  out->write(out->ctx, text, std::strlen(text));
  return PB_OK;
}

int32_t invoke(pb_call*, const char*, size_t, const char*, size_t, const pb_writer* out) {
  out->write(out->ctx, "{}", 2);
  return PB_OK;
}

}  // namespace

extern "C" PLUGBOARD_EXPORT const pb_plugin_api* plugboard_plugin_entry(const pb_host_api*) {
  static pb_plugin_api table = [] {
    pb_plugin_api t{};
    t.abi_major = PLUGBOARD_ABI_MAJOR;
    t.abi_minor = 0;
    t.struct_size = sizeof(pb_plugin_api);
    t.describe = &describe;
    t.invoke_action = &invoke;
    return t;
  }();
  return &table;
}

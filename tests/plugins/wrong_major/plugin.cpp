// A library that claims ABI 1 in its manifest but speaks a future major in its table.
#include <plugboard/plugin.h>

namespace {
int32_t describe(const pb_writer*) { return PB_ERROR; }
int32_t invoke(pb_call*, const char*, size_t, const char*, size_t, const pb_writer*) { return PB_ERROR; }
pb_plugin_api make_table() {
  pb_plugin_api t{};
  t.abi_major = 2;
  t.struct_size = sizeof(pb_plugin_api);
  t.describe = &describe;
  t.invoke_action = &invoke;
  return t;
}
const pb_plugin_api kTable = make_table();
}  // namespace

extern "C" PLUGBOARD_EXPORT const pb_plugin_api* plugboard_plugin_entry(const pb_host_api*) {
  return &kTable;
}

// A library that claims ABI 1 in its manifest but speaks a future major in its table.
#include <plugboard/plugin.h>

namespace {
int32_t describe(const pb_writer*) { return PB_ERROR; }
int32_t invoke(pb_call*, const char*, size_t, const char*, size_t, const pb_writer*) { return PB_ERROR; }
const pb_plugin_api kTable = {2, 0, sizeof(pb_plugin_api), 0, &describe, &invoke, nullptr, nullptr};
}  // namespace

extern "C" PLUGBOARD_EXPORT const pb_plugin_api* plugboard_plugin_entry(const pb_host_api*) {
  return &kTable;
}

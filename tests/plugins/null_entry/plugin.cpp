// A plugin whose entry point returns no table (as a plugin refusing the host would).
#include <plugboard/plugin.h>

extern "C" PLUGBOARD_EXPORT const pb_plugin_api* plugboard_plugin_entry(const pb_host_api*) {
  return nullptr;
}

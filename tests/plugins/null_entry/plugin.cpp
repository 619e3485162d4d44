// A plugin whose entry point returns no table (as a plugin refusing the host would), saying why
// through the host's log first, as plugin.h asks.
#include <plugboard/plugin.h>

extern "C" PLUGBOARD_EXPORT const pb_plugin_api* plugboard_plugin_entry(const pb_host_api* host) {
  static const char why[] = "null_entry: refusing this host on purpose";
  host->log(nullptr, PB_LOG_WARN, why, sizeof why - 1);
  return nullptr;
}

/* A plugin exactly as a third party wrote it for ABI 1.0: plain C, built against the frozen
 * tests/abi/v1_0/plugboard/plugin.h and nothing else (no SDK, no C++ runtime). Its table ends
 * at `shutdown`; the runtime must still load it and run its actions through the 1.0 services. */
#include <plugboard/plugin.h>

#include <string.h>

static const pb_host_api* g_host;

static void put(const pb_writer* out, const char* text) { out->write(out->ctx, text, strlen(text)); }

static int32_t describe(const pb_writer* out) {
  put(out, "{\"provider\":\"abi_v1_0\",\"actions\":[\"echo\",\"info\",\"fail\"],\"triggers\":[]}");
  return PB_OK;
}

static int same(const char* a, size_t len, const char* b) {
  return len == strlen(b) && memcmp(a, b, len) == 0;
}

static int32_t invoke_action(pb_call* call, const char* action, size_t action_len, const char* params,
                             size_t params_len, const pb_writer* out) {
  if (same(action, action_len, "echo")) {
    out->write(out->ctx, params, params_len);
    return PB_OK;
  }
  if (same(action, action_len, "info")) {
    /* Goes through the host's 1.0 services, which must still sit where 1.0 put them. */
    static const char line[] = "abi 1.0 plugin asked for its call info";
    g_host->log(call, PB_LOG_INFO, line, sizeof line - 1);
    return g_host->call_info(call, out);
  }
  if (same(action, action_len, "fail")) {
    put(out, "{\"code\":\"V1_0_FAILED\",\"message\":\"failed on purpose\",\"details\":{}}");
    return PB_ERROR;
  }
  put(out, "{\"code\":\"ACTION_NOT_FOUND\",\"message\":\"unknown action\",\"details\":{}}");
  return PB_NOT_FOUND;
}

static const pb_plugin_api kApi = {
    PLUGBOARD_ABI_MAJOR,
    PLUGBOARD_ABI_MINOR,
    (uint32_t)sizeof(pb_plugin_api),
    0,
    describe,
    invoke_action,
    NULL, /* no connection test */
    NULL, /* no shutdown */
};

PLUGBOARD_EXPORT const pb_plugin_api* plugboard_plugin_entry(const pb_host_api* host) {
  /* A 1.0 plugin reads only 1.0 members, so it needs a 1.x host whose table is at least as long. */
  if (host->abi_major != PLUGBOARD_ABI_MAJOR || host->struct_size < sizeof(pb_host_api)) return NULL;
  g_host = host;
  return &kApi;
}

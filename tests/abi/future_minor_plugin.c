/* A plugin from the future: built for ABI 1.99, its table is longer than any this runtime
 * knows, with members after the 1.1 hooks that the runtime must never read. Built twice:
 * once asking for host minor 1 (must load and run), once for host minor 99 (must be refused).
 * PB_TEST_ID and PB_TEST_MIN_HOST_MINOR come from tests/abi/CMakeLists.txt. */
#include <plugboard/plugin.h>

#include <stdlib.h>
#include <string.h>

#define PB_STR2(x) #x
#define PB_STR(x) PB_STR2(x)

/* What a 1.99 pb_plugin_api might look like: today's members, then new ones. */
typedef struct future_plugin_api {
  pb_plugin_api v1_1;
  void (*added_in_1_2)(void);
  uint64_t added_in_1_5;
} future_plugin_api;

static void put(const pb_writer* out, const char* text) { out->write(out->ctx, text, strlen(text)); }

static int32_t describe(const pb_writer* out) {
  put(out, "{\"provider\":\"" PB_STR(PB_TEST_ID) "\",\"actions\":[\"echo\"],\"triggers\":[]}");
  return PB_OK;
}

static int32_t invoke_action(pb_call* call, const char* action, size_t action_len, const char* params,
                             size_t params_len, const pb_writer* out) {
  (void)call;
  if (action_len == 4 && memcmp(action, "echo", 4) == 0) {
    out->write(out->ctx, params, params_len);
    return PB_OK;
  }
  put(out, "{\"code\":\"ACTION_NOT_FOUND\",\"message\":\"unknown action\",\"details\":{}}");
  return PB_NOT_FOUND;
}

/* Calling it means the host read past what it understands. */
static void must_not_be_called(void) { abort(); }

static const future_plugin_api kApi = {
    {PLUGBOARD_ABI_MAJOR, 99, (uint32_t)sizeof(future_plugin_api), PB_TEST_MIN_HOST_MINOR, describe,
     invoke_action, NULL, NULL, NULL, NULL, NULL, NULL},
    must_not_be_called,
    0xdeadbeefdeadbeefULL,
};

PLUGBOARD_EXPORT const pb_plugin_api* plugboard_plugin_entry(const pb_host_api* host) {
  if (host->abi_major != PLUGBOARD_ABI_MAJOR) return NULL;
  return &kApi.v1_1;
}

/*
 * FROZEN: plugboard/plugin.h exactly as ABI 1.0 shipped it (commit 671cd0f, the last version
 * before the ABI 1.1 trigger hooks). Never edit this file, not even to reformat it: the ABI
 * compatibility test builds tests/abi/v1_0_plugin.c against it to prove that a plugin compiled
 * for 1.0 still loads and runs in the current runtime. A change here would test nothing.
 */
/*
 * Plugboard plugin ABI — the only binary contract between the runtime and a plugin.
 *
 * Plugins are built by third parties with their own compiler and C++ standard library,
 * so nothing but C crosses this line: UTF-8 JSON as pointer + length, fixed-width
 * integers, opaque handles and function pointers. No exception, no std:: type, and no
 * memory allocated on one side is ever freed on the other: results travel back through
 * writer callbacks owned by the caller.
 *
 * Versioning (the rules every change to this file must keep):
 *  - Both tables start with abi_major, abi_minor and struct_size.
 *  - New members are only ever appended, in a group labelled with the minor that added
 *    them. A reader checks struct_size (or abi_minor) before touching a later member.
 *  - A different abi_major is refused by both sides. A host accepts plugins built for any
 *    minor; a plugin states in min_host_minor the lowest host minor it needs.
 *
 * Threading: the host calls invoke_action and test_connection from many threads at once.
 * A plugin must be reentrant unless its manifest declares `reentrant: false`.
 */
#ifndef PLUGBOARD_PLUGIN_H
#define PLUGBOARD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PLUGBOARD_ABI_MAJOR 1
#define PLUGBOARD_ABI_MINOR 0

/* The one symbol a plugin library exports. */
#define PLUGBOARD_ENTRY_SYMBOL "plugboard_plugin_entry"

#if defined(_WIN32)
#define PLUGBOARD_EXPORT __declspec(dllexport)
#else
#define PLUGBOARD_EXPORT __attribute__((visibility("default")))
#endif

/* Status codes returned by plugin functions and host services. */
typedef enum pb_status {
  PB_OK = 0,
  PB_ERROR = 1,     /* the writer received an error object {code, message, details} */
  PB_NOT_FOUND = 2, /* unknown action or capability; the writer received an error object */
} pb_status;

/* Log levels for pb_host_api.log, ordered like spdlog's. */
typedef enum pb_log_level {
  PB_LOG_TRACE = 0,
  PB_LOG_DEBUG = 1,
  PB_LOG_INFO = 2,
  PB_LOG_WARN = 3,
  PB_LOG_ERROR = 4,
} pb_log_level;

/* A sink for bytes, owned by whoever passes it. write may be called any number of times
 * during the call it was passed to, and never after that call returns. */
typedef struct pb_writer {
  void* ctx;
  void (*write)(void* ctx, const char* data, size_t len);
} pb_writer;

/* One invocation (an action, a connection test). Opaque to the plugin; valid only until
 * the plugin function it was passed to returns. Every host service takes it, which is how
 * the host knows whose credentials, deadline and base URL apply. */
typedef struct pb_call pb_call;

/* An HTTP request made through the host. The host resolves a relative `url` ("/chat.postMessage")
 * against the provider's base URL (configurable per install), injects the connection's
 * credentials as the manifest says (only towards the provider's own origin), pools kept-alive
 * connections, applies TLS and timeouts, and follows the manifest's retry policy: the statuses
 * it lists, honouring Retry-After within the deadline (429 and 503 for any request, others
 * only for idempotent actions or GET/HEAD). */
typedef struct pb_http_request {
  uint32_t struct_size;     /* sizeof(pb_http_request) as the plugin knew it */
  const char* method;       /* "GET", "POST", ...; NUL-terminated */
  const char* url;          /* relative to the base URL, or absolute; NUL-terminated */
  const char* headers_json; /* JSON object of header name -> string value, or NULL */
  size_t headers_json_len;
  const char* body; /* raw request body bytes, or NULL */
  size_t body_len;
  uint32_t timeout_ms; /* 0: until the call's deadline */
} pb_http_request;

/* Where the host writes an HTTP response. `headers` receives one JSON object of response
 * headers (lower-case names); `body` receives the raw body bytes, possibly in chunks.
 * Either writer may have a NULL write function when the plugin does not want it. */
typedef struct pb_http_response {
  pb_writer headers;
  pb_writer body;
} pb_http_response;

/* Negative results of http_request: no HTTP response was received. The body writer gets a
 * human-readable reason. */
#define PB_HTTP_ERR_TRANSPORT (-1) /* connect, TLS or I/O failure */
#define PB_HTTP_ERR_DEADLINE (-2)  /* the call's deadline passed */
#define PB_HTTP_ERR_REFUSED (-3)   /* refused before sending: a bad or disallowed URL */

/* Services the host offers to plugins. A plugin keeps the pointer it was given at entry;
 * the table lives as long as the plugin is loaded. */
typedef struct pb_host_api {
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t struct_size;

  /* --- ABI 1.0 --- */

  /* Writes one log line, tagged with the provider and the request id. Never log secrets. */
  void (*log)(pb_call* call, int32_t level, const char* msg, size_t len);

  /* Performs one HTTP request. Returns the HTTP status (100-599), or a PB_HTTP_ERR_*. */
  int32_t (*http_request)(pb_call* call, const pb_http_request* request, const pb_http_response* response);

  /* Non-zero once the call's deadline has passed: stop and return. */
  int32_t (*is_cancelled)(pb_call* call);

  /* Milliseconds left before the call's deadline (0 when it has passed). */
  int64_t (*remaining_ms)(pb_call* call);

  /* Writes the connection's decrypted credentials as a JSON object. Plugins that only talk
   * HTTP through the host never need this (the host injects credentials); plugins with their
   * own transport (SMTP) do. Returns PB_OK, or PB_NOT_FOUND when the call has none. */
  int32_t (*credentials)(pb_call* call, const pb_writer* out);

  /* Writes non-secret facts about the call as a JSON object:
   * {"provider","connection_id","workspace_id","project_id","request_id","action","config":{...}}. */
  int32_t (*call_info)(pb_call* call, const pb_writer* out);
} pb_host_api;

/* What a plugin offers the host. The plugin owns the table; it must stay valid until the
 * library is unloaded. */
typedef struct pb_plugin_api {
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t struct_size;
  uint32_t min_host_minor; /* the lowest host ABI minor this plugin can run on */

  /* --- ABI 1.0 --- */

  /* Writes {"provider":"id","actions":["slug",...],"triggers":["slug",...]}: what the library
   * registered, cross-checked by the host against the manifest. */
  int32_t (*describe)(const pb_writer* out);

  /* Runs one action. params is a JSON object already validated against the manifest schema.
   * On PB_OK `out` holds the result as a JSON value; otherwise an error object
   * {"code":"...","message":"...","details":{...}}. */
  int32_t (*invoke_action)(pb_call* call, const char* action, size_t action_len, const char* params_json,
                           size_t params_len, const pb_writer* out);

  /* Checks the call's connection against the provider. On PB_OK `out` holds facts such as
   * {"user_info":{"email","name"},"scopes":[...]}; otherwise an error object. NULL when the
   * plugin has no connection test. */
  int32_t (*test_connection)(pb_call* call, const pb_writer* out);

  /* Called once before unload; may be NULL. */
  void (*shutdown)(void);
} pb_plugin_api;

/* The entry point. Called once, right after the library is opened, with the host's table.
 * Returns the plugin's table, or NULL when the plugin cannot run on this host (it should
 * log why through host->log with a NULL call first). */
typedef const pb_plugin_api* (*pb_plugin_entry_fn)(const pb_host_api* host);

#ifdef __cplusplus
}
#endif

#endif /* PLUGBOARD_PLUGIN_H */

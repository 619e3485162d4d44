// The Google Drive plugin: registers its actions and connection test with the SDK. The manifest
// (manifests/google_drive.yaml) declares the same slugs with their schemas, and tells the host
// how to inject the token, so no auth code lives here.
//
// upload-file is the one action not dispatched by the SDK: the SDK parses every action's
// parameters into a boost::json::object, which for upload-file would hold the whole file once
// more as base64 text. The entry point below wraps the SDK's table and hands upload-file's raw
// JSON to a streaming parser that decodes the content as it reads it (upload_params.hpp).
// Every other call goes through the SDK unchanged.
#include "actions.hpp"

#include <plugboard/sdk.hpp>

#include <string_view>

namespace {

constexpr std::string_view kUpload = "upload-file";

plugboard::Plugin make_google_drive_plugin() {
  plugboard::Plugin p("google_drive");
  // Registered so describe() lists it; calls to it are answered by invoke_upload below.
  p.action(std::string(kUpload),
           [](plugboard::Context& ctx, const boost::json::object& params) -> boost::json::value {
             google_drive::UploadParams up =
                 google_drive::parse_upload_params(boost::json::serialize(params));
             return google_drive::upload_file(ctx, up);
           })
      .action("share-file", &google_drive::share_file)
      .action("list-files", &google_drive::list_files)
      .action("create-folder", &google_drive::create_folder)
      .action("download-file", &google_drive::download_file)
      .test_connection(&google_drive::test_connection)
      .polling_trigger("new-file", &google_drive::poll_new_files);
  return p;
}

const pb_host_api* g_host = nullptr;
pb_plugin_api g_table{};
int32_t (*g_sdk_invoke)(pb_call*, const char*, size_t, const char*, size_t, const pb_writer*) = nullptr;

// upload-file, with the same error handling as the SDK's: nothing is thrown across the ABI.
int32_t invoke_upload(pb_call* call, std::string_view params_json, const pb_writer* out) {
  try {
    google_drive::UploadParams params = google_drive::parse_upload_params(params_json);
    plugboard::Context ctx(g_host, call);
    boost::json::value result = google_drive::upload_file(ctx, params);
    plugboard::detail::write_all(out, boost::json::serialize(result));
    return PB_OK;
  } catch (const plugboard::ActionError& e) {
    plugboard::detail::write_error(out, e.code, e.message, e.details);
  } catch (const std::exception& e) {
    plugboard::detail::write_error(out, "PLUGIN_EXCEPTION", std::string("google_drive: ") + e.what());
  } catch (...) {
    plugboard::detail::write_error(out, "PLUGIN_EXCEPTION", "google_drive: unknown exception");
  }
  return PB_ERROR;
}

int32_t invoke(pb_call* call, const char* action, size_t action_len, const char* params, size_t params_len,
               const pb_writer* out) {
  if (std::string_view(action, action_len) == kUpload)
    return invoke_upload(call, std::string_view(params, params_len), out);
  return g_sdk_invoke(call, action, action_len, params, params_len, out);
}

}  // namespace

extern "C" PLUGBOARD_EXPORT const pb_plugin_api* plugboard_plugin_entry(const pb_host_api* host) {
  const pb_plugin_api* sdk = ::plugboard::detail::entry(host, &make_google_drive_plugin);
  if (sdk == nullptr) return nullptr;
  if (g_sdk_invoke == nullptr) {  // the host calls the entry once, before any other call
    g_host = host;
    g_table = *sdk;
    g_sdk_invoke = sdk->invoke_action;
    g_table.invoke_action = &invoke;
  }
  return &g_table;
}

// The Google Drive plugin's handlers, one file each. All are stateless and so reentrant: the
// host calls them from many threads at once.
#pragma once

#include "upload_params.hpp"

#include <plugboard/sdk.hpp>

#include <vector>

namespace google_drive {

namespace json = boost::json;

// Multipart (small) or resumable (large) upload -> {file_id, file_name, file_url, mime_type,
// size, uploaded_at}. Takes the parameters already decoded (see upload_params.hpp): the file
// content arrives as base64 and is decoded once, straight from the host's JSON.
json::value upload_file(plugboard::Context& ctx, UploadParams& params);

// POST /drive/v3/files/{id}/permissions -> {permission_id, role, email}
json::value share_file(plugboard::Context& ctx, const json::object& params);

// GET /drive/v3/files?q=... -> {files: [...], next_page_token}
json::value list_files(plugboard::Context& ctx, const json::object& params);

// POST /drive/v3/files (folder mime type) -> {folder_id, name, folder_url}
json::value create_folder(plugboard::Context& ctx, const json::object& params);

// GET /drive/v3/files/{id} then ?alt=media -> {file_id, file_name, content (base64), mime_type, size}
json::value download_file(plugboard::Context& ctx, const json::object& params);

// GET /drive/v3/about?fields=user -> {user_info: {email, name, permission_id?, photo_link?}}
json::object test_connection(plugboard::Context& ctx);

// The new-file polling trigger (Changes API): the cursor lives in ctx.state(), so the handler
// holds nothing between calls either.
std::vector<plugboard::TriggerEvent> poll_new_files(plugboard::Context& ctx, const json::object& config);

}  // namespace google_drive

// upload-file's parameters, read straight from the host's JSON text.
//
// fileContent is the whole file as base64 (a 25 MB file is a 34 MB string). Parsing the
// parameters into a boost::json::object first would hold that string once more, on top of the
// decoded bytes; instead a streaming parser (boost::json::basic_parser) hands the string to the
// base64 decoder piece by piece, and only the decoded bytes are kept.
#pragma once

#include <plugboard/sdk.hpp>

#include <string>
#include <string_view>

namespace google_drive {

struct UploadParams {
  std::string file_name;
  std::string mime_type;
  std::string parent_folder_id;
  std::string description;
  bool has_content = false;
  std::string content;  // the decoded bytes
};

// Parses params_json (a JSON object). Throws ActionError INVALID_PARAMETERS when it is not one
// or lacks fileName/fileContent, and INVALID_BASE64 when fileContent does not decode.
UploadParams parse_upload_params(std::string_view params_json);

}  // namespace google_drive

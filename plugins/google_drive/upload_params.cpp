#include "upload_params.hpp"

#include "base64.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <cstdint>
#include <limits>
#include <optional>

namespace google_drive {

namespace {

using boost::system::error_code;
using plugboard::ActionError;

// Keeps the top-level string members; decodes fileContent as it streams by. The host has
// validated the parameters against the manifest (all top-level members are strings), so
// anything nested is only skipped.
struct Handler {
  static constexpr std::size_t max_object_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_array_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_key_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_string_size = std::numeric_limits<std::size_t>::max();

  explicit Handler(UploadParams& p) : params(p), decoder(p.content) {}

  UploadParams& params;
  Base64Decoder decoder;
  int depth = 0;
  bool top_is_object = false;
  std::string key;
  std::string* target = nullptr;  // the member being read into, when kept
  bool decoding = false;          // the current string is fileContent
  bool bad_base64 = false;

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) {
    if (depth == 0) top_is_object = true;
    ++depth;
    return true;
  }
  bool on_object_end(std::size_t, error_code&) {
    --depth;
    return true;
  }
  bool on_array_begin(error_code&) {
    ++depth;
    return true;
  }
  bool on_array_end(std::size_t, error_code&) {
    --depth;
    return true;
  }
  bool on_key_part(boost::json::string_view s, std::size_t, error_code&) {
    if (depth == 1) key.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, error_code&) {
    if (depth != 1) return true;
    key.append(s.data(), s.size());
    target = nullptr;
    decoding = false;
    if (key == "fileContent") {
      decoding = true;
      params.has_content = true;
    } else if (key == "fileName") {
      target = &params.file_name;
    } else if (key == "mimeType") {
      target = &params.mime_type;
    } else if (key == "parentFolderId") {
      target = &params.parent_folder_id;
    } else if (key == "description") {
      target = &params.description;
    }
    key.clear();
    return true;
  }
  bool take(boost::json::string_view s) {
    if (depth != 1) return true;
    if (decoding) {
      if (!decoder.feed(std::string_view(s.data(), s.size()))) bad_base64 = true;
    } else if (target != nullptr) {
      target->append(s.data(), s.size());
    }
    return true;
  }
  bool on_string_part(boost::json::string_view s, std::size_t, error_code&) { return take(s); }
  bool on_string(boost::json::string_view s, std::size_t, error_code&) {
    take(s);
    if (depth == 1 && decoding && !bad_base64 && !decoder.finish()) bad_base64 = true;
    target = nullptr;
    decoding = false;
    return true;
  }
  void value_done() {
    target = nullptr;
    decoding = false;
  }
  bool on_number_part(boost::json::string_view, error_code&) { return true; }
  bool on_int64(std::int64_t, boost::json::string_view, error_code&) {
    value_done();
    return true;
  }
  bool on_uint64(std::uint64_t, boost::json::string_view, error_code&) {
    value_done();
    return true;
  }
  bool on_double(double, boost::json::string_view, error_code&) {
    value_done();
    return true;
  }
  bool on_bool(bool, error_code&) {
    value_done();
    return true;
  }
  bool on_null(error_code&) {
    value_done();
    return true;
  }
  bool on_comment_part(boost::json::string_view, error_code&) { return true; }
  bool on_comment(boost::json::string_view, error_code&) { return true; }
};

ActionError missing(std::string_view name) {
  boost::json::object d;
  d["parameter"] = name;
  return {"INVALID_PARAMETERS", std::string(name) + " is required", std::move(d)};
}

}  // namespace

UploadParams parse_upload_params(std::string_view params_json) {
  UploadParams params;
  // Base64 is 4 characters for 3 bytes: this bounds the decoded size, so the content is
  // allocated once rather than grown (and briefly held twice) while decoding.
  params.content.reserve(params_json.size() / 4 * 3 + 3);
  boost::json::basic_parser<Handler> parser(boost::json::parse_options{}, params);
  error_code ec;
  parser.write_some(false, params_json.data(), params_json.size(), ec);
  if (ec || !parser.handler().top_is_object)
    throw ActionError{"INVALID_PARAMETERS", "parameters must be a JSON object"};
  const Handler& h = parser.handler();
  if (h.bad_base64) {
    boost::json::object d;
    d["parameter"] = "fileContent";
    d["offset"] = h.decoder.error_offset();
    throw ActionError{"INVALID_BASE64",
                      "fileContent is not valid base64 (first bad character at offset " +
                          std::to_string(h.decoder.error_offset()) + ")",
                      std::move(d)};
  }
  if (params.file_name.empty()) throw missing("fileName");
  if (!params.has_content) throw missing("fileContent");
  if (params.mime_type.empty()) params.mime_type = "application/octet-stream";
  // Give back what the reservation over-estimated only when it is a lot (a short file in a
  // long request): shrinking copies, so a big file keeps its few spare bytes.
  if (params.content.capacity() > params.content.size() + (1u << 20)) params.content.shrink_to_fit();
  return params;
}

}  // namespace google_drive

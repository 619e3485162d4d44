#include "actions.hpp"
#include "base64.hpp"
#include "drive_api.hpp"
#include "params.hpp"

#include <string>

namespace google_drive {

namespace {

// The largest file download-file returns: its base64 travels back inside the JSON result.
constexpr std::int64_t kMaxDownload = 25LL * 1000 * 1000;

plugboard::ActionError too_large(std::int64_t size) {
  json::object d;
  d["size"] = size;
  d["max_size"] = kMaxDownload;
  d["retryable"] = false;
  return {"FILE_TOO_LARGE",
          "the file is " + std::to_string(size) + " bytes; download-file returns at most " +
              std::to_string(kMaxDownload),
          std::move(d)};
}

}  // namespace

json::value download_file(plugboard::Context& ctx, const json::object& params) {
  const std::string file_id = string_param(params, "fileId");
  if (file_id.empty()) throw invalid_parameter("fileId", "is required");
  const std::string path = "/drive/v3/files/" + url_encode(file_id);

  // The metadata first: refuse a file that is too large (or a Google Doc) before fetching it.
  json::object meta = get(ctx, "files.get", path + "?fields=id,name,mimeType,size");
  const std::string mime = string_param(meta, "mimeType");
  if (mime.rfind("application/vnd.google-apps.", 0) == 0) {
    json::object d;
    d["mime_type"] = mime;
    d["retryable"] = false;
    throw plugboard::ActionError{
        "NOT_DOWNLOADABLE",
        "Google Workspace documents (" + mime + ") have no content to download; export them", std::move(d)};
  }
  if (std::int64_t size = size_field(meta); size > kMaxDownload) throw too_large(size);

  plugboard::HttpRequest req;
  req.url = path + "?alt=media";
  plugboard::HttpResponse resp = ctx.http(req);
  if (!resp.ok()) throw_provider_error("files.get (alt=media)", resp);
  if (static_cast<std::int64_t>(resp.body.size()) > kMaxDownload)
    throw too_large(static_cast<std::int64_t>(resp.body.size()));

  json::object out;
  out["file_id"] = file_id;
  out["file_name"] = string_param(meta, "name");
  // Encoded straight into the result's string: the content is held once as bytes, once as text.
  json::string& content = out["content"].emplace_string();
  content.resize(base64_length(resp.body.size()));
  base64_encode(resp.body, content.data());
  const auto size = static_cast<std::int64_t>(resp.body.size());
  resp.body = std::string();
  out["mime_type"] = mime.empty() ? resp.header("content-type") : mime;
  out["size"] = size;
  return out;
}

}  // namespace google_drive

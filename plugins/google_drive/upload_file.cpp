#include "actions.hpp"
#include "drive_api.hpp"
#include "params.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <random>
#include <string>

namespace google_drive {

using plugboard::ActionError;
using plugboard::Context;
using plugboard::HttpRequest;
using plugboard::HttpResponse;

namespace {

// Up to this size a file goes in one multipart request; above it, in a resumable session.
// Google suggests resumable uploads for anything over 5 MB.
constexpr std::size_t kMultipartLimit = 5u << 20;
// Chunk size of a resumable upload: Google requires multiples of 256 KiB (all but the last).
constexpr std::size_t kChunk = 8u << 20;
static_assert(kChunk % (256u << 10) == 0);
// 308 answers in a row that accept nothing before the upload is given up.
constexpr int kMaxStalls = 3;

std::string fields_query() { return "fields=" + std::string(kFileFields); }

json::object metadata(const UploadParams& p) {
  json::object meta;
  meta["name"] = p.file_name;
  meta["mimeType"] = p.mime_type;
  if (!p.parent_folder_id.empty()) meta["parents"] = json::array{json::value(p.parent_folder_id)};
  if (!p.description.empty()) meta["description"] = p.description;
  return meta;
}

// A boundary that does not occur in the content.
std::string boundary_for(std::string_view content) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  for (;;) {
    std::string b = "plugboard_" + std::to_string(rng());
    if (content.find(b) == std::string_view::npos) return b;
  }
}

json::object upload_multipart(const Context& ctx, const UploadParams& p) {
  const std::string boundary = boundary_for(p.content);
  const std::string meta = json::serialize(metadata(p));
  HttpRequest req;
  req.method = "POST";
  req.url = "/upload/drive/v3/files?uploadType=multipart&" + fields_query();
  req.headers["Content-Type"] = "multipart/related; boundary=" + boundary;
  std::string& b = req.body;
  b.reserve(p.content.size() + meta.size() + p.mime_type.size() + 3 * boundary.size() + 128);
  b += "--" + boundary + "\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n";
  b += meta;
  b += "\r\n--" + boundary + "\r\nContent-Type: " + p.mime_type + "\r\n\r\n";
  b += p.content;
  b += "\r\n--" + boundary + "--\r\n";
  return check("files.create (multipart upload)", ctx.http(req));
}

// The next byte Google wants, from a 308's Range header ("bytes=0-8388607"); 0 without one.
std::size_t next_offset(const HttpResponse& resp) {
  std::string range = resp.header("range");
  auto dash = range.rfind('-');
  if (range.rfind("bytes=", 0) != 0 || dash == std::string::npos) return 0;
  std::uint64_t last = 0;
  auto [end, ec] = std::from_chars(range.data() + dash + 1, range.data() + range.size(), last);
  if (ec != std::errc() || end != range.data() + range.size()) return 0;
  return static_cast<std::size_t>(last + 1);
}

ActionError upload_failed(std::string message, std::size_t offset, std::size_t total, bool retryable) {
  json::object d;
  d["bytes_sent"] = offset;
  d["size"] = total;
  d["retryable"] = retryable;
  return {"UPLOAD_FAILED", std::move(message), std::move(d)};
}

json::object upload_resumable(const Context& ctx, const UploadParams& p) {
  const std::size_t total = p.content.size();
  // 1. Open the session: the metadata, and what the content will be.
  HttpRequest open =
      HttpRequest::post_json("/upload/drive/v3/files?uploadType=resumable&" + fields_query(), metadata(p));
  open.headers["X-Upload-Content-Type"] = p.mime_type;
  open.headers["X-Upload-Content-Length"] = std::to_string(total);
  HttpResponse opened = ctx.http(open);
  if (!opened.ok()) throw_provider_error("files.create (resumable upload)", opened);
  // The session URI: absolute, on the API's own origin (so the host still injects the token).
  const std::string session = opened.header("location");
  if (session.empty())
    throw ActionError{"INVALID_RESPONSE", "Google Drive opened a resumable upload without a Location header"};

  // 2. Send the content in chunks; Google answers 308 with the range it holds until the last.
  std::size_t offset = 0;
  int stalls = 0;
  for (;;) {
    if (ctx.cancelled()) throw upload_failed("the upload ran out of time", offset, total, true);
    const std::size_t len = std::min(kChunk, total - offset);
    HttpRequest put;
    put.method = "PUT";
    put.url = session;
    put.headers["Content-Type"] = p.mime_type;
    put.headers["Content-Range"] = total == 0
                                       ? "bytes */0"
                                       : "bytes " + std::to_string(offset) + "-" +
                                             std::to_string(offset + len - 1) + "/" + std::to_string(total);
    // One chunk copied into the request (the SDK's body is a std::string): never the whole file.
    put.body.assign(p.content, offset, len);
    HttpResponse resp = ctx.http(put);
    put.body = std::string();  // let the chunk go before the next one is built
    if (resp.status == 200 || resp.status == 201) return check("files.create (resumable upload)", resp);
    if (resp.status == 308) {
      const std::size_t next = next_offset(resp);
      if (next > total)
        throw upload_failed("Google Drive acknowledged more bytes than were sent", offset, total, false);
      stalls = next > offset ? 0 : stalls + 1;
      if (stalls >= kMaxStalls)
        throw upload_failed("Google Drive stopped accepting the upload's bytes", offset, total, true);
      offset = next;
      if (offset == total) {  // all acknowledged, but no final answer: ask for it
        HttpRequest status;
        status.method = "PUT";
        status.url = session;
        status.headers["Content-Range"] = "bytes */" + std::to_string(total);
        HttpResponse fin = ctx.http(status);
        if (fin.status == 200 || fin.status == 201) return check("files.create (resumable upload)", fin);
        throw upload_failed("Google Drive holds every byte but did not finish the upload", offset, total,
                            true);
      }
      continue;
    }
    if (resp.status == 404 || resp.status == 410)  // the session expired or was cancelled
      throw_provider_error("resumable upload session", resp);
    throw_provider_error("files.create (resumable upload)", resp);
  }
}

}  // namespace

json::value upload_file(Context& ctx, UploadParams& params) {
  json::object file = params.content.size() <= kMultipartLimit ? upload_multipart(ctx, params)
                                                               : upload_resumable(ctx, params);
  const std::size_t sent = params.content.size();
  params.content = std::string();  // the bytes are in Drive; free them before building the answer

  json::object out;
  const std::string id = string_param(file, "id");
  out["file_id"] = id;
  out["file_name"] = string_param(file, "name", params.file_name);
  out["file_url"] = string_param(file, "webViewLink", file_view_url(id));
  out["mime_type"] = string_param(file, "mimeType", params.mime_type);
  const std::int64_t size = size_field(file);
  out["size"] = size >= 0 ? size : static_cast<std::int64_t>(sent);
  out["uploaded_at"] = string_param(file, "createdTime", utc_now());
  return out;
}

}  // namespace google_drive

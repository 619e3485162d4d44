#include "actions.hpp"
#include "drive_api.hpp"
#include "params.hpp"

#include <string>

namespace google_drive {

namespace {

// A string literal in Drive's query language: single-quoted, with ' and \ escaped.
std::string quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

}  // namespace

json::value list_files(plugboard::Context& ctx, const json::object& params) {
  std::int64_t page_size = int_param(params, "pageSize", 100);
  if (page_size < 1 || page_size > 1000) throw invalid_parameter("pageSize", "must be between 1 and 1000");
  std::string q = string_param(params, "query");
  if (std::string folder = string_param(params, "folderId"); !folder.empty()) {
    std::string in_folder = quoted(folder) + " in parents";
    q = q.empty() ? in_folder : "(" + q + ") and " + in_folder;
  }

  std::string url = "/drive/v3/files?pageSize=" + std::to_string(page_size) + "&fields=nextPageToken,files(" +
                    std::string(kFileFields) + ")";
  if (!q.empty()) url += "&q=" + url_encode(q);
  if (std::string token = string_param(params, "pageToken"); !token.empty())
    url += "&pageToken=" + url_encode(token);
  if (std::string order = string_param(params, "orderBy"); !order.empty())
    url += "&orderBy=" + url_encode(order);
  json::object page = get(ctx, "files.list", std::move(url));

  json::array files;
  if (const json::value* list = page.if_contains("files"); list != nullptr && list->is_array()) {
    for (const json::value& v : list->get_array()) {
      if (!v.is_object()) continue;
      const json::object& f = v.get_object();
      json::object item;
      item["id"] = string_param(f, "id");
      item["name"] = string_param(f, "name");
      item["mime_type"] = string_param(f, "mimeType");
      if (std::int64_t size = size_field(f); size >= 0) item["size"] = size;
      if (std::string t = string_param(f, "modifiedTime"); !t.empty()) item["modified_time"] = t;
      if (std::string link = string_param(f, "webViewLink"); !link.empty()) item["web_view_link"] = link;
      files.push_back(std::move(item));
    }
  }
  json::object out;
  out["files"] = std::move(files);
  out["next_page_token"] = string_param(page, "nextPageToken");
  return out;
}

}  // namespace google_drive

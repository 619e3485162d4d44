#include "actions.hpp"
#include "drive_api.hpp"
#include "params.hpp"

#include <string>

namespace google_drive {

json::value create_folder(plugboard::Context& ctx, const json::object& params) {
  const std::string name = string_param(params, "name");
  if (name.empty()) throw invalid_parameter("name", "is required");
  json::object body;
  body["name"] = name;
  body["mimeType"] = "application/vnd.google-apps.folder";
  if (std::string parent = string_param(params, "parentFolderId"); !parent.empty())
    body["parents"] = json::array{json::value(parent)};
  json::object folder =
      post(ctx, "files.create (folder)", "/drive/v3/files?fields=id,name,webViewLink", body);

  const std::string id = string_param(folder, "id");
  json::object out;
  out["folder_id"] = id;
  out["name"] = string_param(folder, "name", name);
  out["folder_url"] = string_param(folder, "webViewLink", folder_view_url(id));
  return out;
}

}  // namespace google_drive

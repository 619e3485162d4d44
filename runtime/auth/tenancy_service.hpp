// Workspaces and their projects: the tenancy boundary every other resource hangs from.
// Projects are cached in memory because execute checks one on every call.
#pragma once

#include "store/repositories.hpp"

#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace plugboard::auth {

class TenancyService {
 public:
  explicit TenancyService(store::Store& store) : store_(store) {}

  // Throws store::ConflictError on a duplicate name.
  store::Workspace create_workspace(const std::string& name);
  std::optional<store::Workspace> workspace(const std::string& id);
  // By id, else by name; creates one with that name when neither exists (CLI bootstrap).
  store::Workspace ensure_workspace(const std::string& id_or_name);

  store::Project create_project(const std::string& workspace_id, const std::string& name);
  std::vector<store::Project> projects(const std::string& workspace_id, const store::Page& page);
  std::int64_t count_projects(const std::string& workspace_id);
  // nullopt also when the project belongs to another workspace.
  std::optional<store::Project> project(const std::string& workspace_id, const std::string& id);
  store::Project ensure_project(const std::string& workspace_id, const std::string& id_or_name);
  bool remove_project(const std::string& workspace_id, const std::string& id);

  // The workspace a project belongs to, from cache; nullopt when there is no such project.
  std::optional<std::string> project_workspace(const std::string& project_id);
  // Drops the cached project (another node removed it; see auth/change_feed.hpp).
  void forget_project(const std::string& project_id);
  void forget_all_projects();

 private:
  store::Store& store_;
  std::shared_mutex mutex_;
  std::unordered_map<std::string, std::string> project_workspace_;
};

}  // namespace plugboard::auth

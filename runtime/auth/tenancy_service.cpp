#include "auth/tenancy_service.hpp"

#include "auth/change_feed.hpp"

#include "store/iso_time.hpp"
#include "vault/random.hpp"

namespace plugboard::auth {

store::Workspace TenancyService::create_workspace(const std::string& name) {
  store::Workspace w{vault::new_uuid(), name, store::now_iso()};
  store_.workspaces().create(w);
  return w;
}

std::optional<store::Workspace> TenancyService::workspace(const std::string& id) {
  return store_.workspaces().get(id);
}

store::Workspace TenancyService::ensure_workspace(const std::string& id_or_name) {
  if (auto w = store_.workspaces().get(id_or_name)) return *w;
  if (auto w = store_.workspaces().find_by_name(id_or_name)) return *w;
  return create_workspace(id_or_name);
}

store::Project TenancyService::create_project(const std::string& workspace_id, const std::string& name) {
  store::Project p{vault::new_uuid(), workspace_id, name, store::now_iso()};
  store_.projects().create(p);
  return p;
}

std::vector<store::Project> TenancyService::projects(const std::string& workspace_id,
                                                     const store::Page& page) {
  return store_.projects().list(workspace_id, page);
}

std::int64_t TenancyService::count_projects(const std::string& workspace_id) {
  return store_.projects().count(workspace_id);
}

std::optional<store::Project> TenancyService::project(const std::string& workspace_id,
                                                      const std::string& id) {
  auto p = store_.projects().get(id);
  if (!p || p->workspace_id != workspace_id) return std::nullopt;
  return p;
}

store::Project TenancyService::ensure_project(const std::string& workspace_id,
                                              const std::string& id_or_name) {
  if (auto p = project(workspace_id, id_or_name)) return *p;
  if (auto p = store_.projects().find_by_name(workspace_id, id_or_name)) return *p;
  return create_project(workspace_id, id_or_name);
}

bool TenancyService::remove_project(const std::string& workspace_id, const std::string& id) {
  if (!project(workspace_id, id)) return false;
  bool removed = store_.projects().remove(id);
  forget_project(id);
  publish_change(store_, topics::kProject, id);
  return removed;
}

void TenancyService::forget_project(const std::string& project_id) {
  std::unique_lock lock(mutex_);
  project_workspace_.erase(project_id);
}

void TenancyService::forget_all_projects() {
  std::unique_lock lock(mutex_);
  project_workspace_.clear();
}

std::optional<std::string> TenancyService::project_workspace(const std::string& project_id) {
  {
    std::shared_lock lock(mutex_);
    if (auto it = project_workspace_.find(project_id); it != project_workspace_.end()) return it->second;
  }
  auto p = store_.projects().get(project_id);
  if (!p) return std::nullopt;
  std::unique_lock lock(mutex_);
  if (project_workspace_.size() > 100000) project_workspace_.clear();
  project_workspace_[project_id] = p->workspace_id;
  return p->workspace_id;
}

}  // namespace plugboard::auth

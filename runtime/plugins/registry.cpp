#include "plugins/registry.hpp"

#include <algorithm>

namespace plugboard::plugins {

LoadedPlugin::~LoadedPlugin() {
  // Give the plugin its chance to release what it holds before its code is unmapped.
  if (api != nullptr && api->shutdown != nullptr) api->shutdown();
}

Registry::Registry(std::vector<std::shared_ptr<const LoadedPlugin>> plugins,
                   std::vector<LoadFailure> failures)
    : plugins_(std::move(plugins)), failures_(std::move(failures)) {
  std::sort(plugins_.begin(), plugins_.end(), [](const auto& a, const auto& b) { return a->id() < b->id(); });
}

std::shared_ptr<const LoadedPlugin> Registry::find(std::string_view provider) const {
  auto it = std::lower_bound(plugins_.begin(), plugins_.end(), provider,
                             [](const auto& p, std::string_view id) { return p->id() < id; });
  return it != plugins_.end() && (*it)->id() == provider ? *it : nullptr;
}

}  // namespace plugboard::plugins

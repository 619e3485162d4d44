#include "plugins/loader.hpp"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <boost/dll/shared_library.hpp>
#include <boost/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <fstream>
#include <set>

namespace plugboard::plugins {
namespace {

// The smallest plugin table we can use: everything up to and including ABI 1.0's last member.
constexpr std::size_t kMinPluginTableSize = offsetof(pb_plugin_api, shutdown) + sizeof(void*);
// A table this long holds the ABI 1.1 trigger hooks.
constexpr std::size_t kTriggerTableSize = offsetof(pb_plugin_api, unsubscribe) + sizeof(void*);

std::string version(std::uint32_t major, std::uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

std::string file_sha256(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw LoadError("cannot read " + file.string());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 16);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0)
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(in.gcount()));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

void append(void* ctx, const char* data, std::size_t len) {
  static_cast<std::string*>(ctx)->append(data, len);
}

std::set<std::string> string_set(const boost::json::value* v) {
  std::set<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& item : v->get_array())
    if (item.is_string()) out.emplace(item.get_string());
  return out;
}

std::string list(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
  return out;
}

// What the manifest declares must be exactly what the library registered.
void check_same(const Manifest& m, const char* what, const std::set<std::string>& declared,
                const std::set<std::string>& registered) {
  std::set<std::string> missing, extra;
  std::set_difference(declared.begin(), declared.end(), registered.begin(), registered.end(),
                      std::inserter(missing, missing.end()));
  std::set_difference(registered.begin(), registered.end(), declared.begin(), declared.end(),
                      std::inserter(extra, extra.end()));
  if (missing.empty() && extra.empty()) return;
  std::string msg = "plugin " + m.id + ": manifest and library disagree on " + what + ":";
  if (!missing.empty()) msg += " declared but not registered: " + list(missing) + ";";
  if (!extra.empty()) msg += " registered but not declared: " + list(extra) + ";";
  throw LoadError(msg);
}

}  // namespace

void check_before_open(const Manifest& m) {
  if (m.abi_major != PLUGBOARD_ABI_MAJOR)
    throw LoadError("plugin " + m.id + " was built for plugin ABI " + version(m.abi_major, m.abi_minor) +
                    ", but this runtime speaks ABI " + version(PLUGBOARD_ABI_MAJOR, PLUGBOARD_ABI_MINOR) +
                    "; rebuild it against a " + std::to_string(PLUGBOARD_ABI_MAJOR) + ".x SDK");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(m.library, ec))
    throw LoadError("plugin " + m.id + ": library " + m.library.string() +
                    " named by the manifest does not exist");
  if (!m.sha256.empty()) {
    std::string actual = file_sha256(m.library);
    if (actual != m.sha256)
      throw LoadError("plugin " + m.id + ": library " + m.library.filename().string() + " has sha256 " +
                      actual + " but the manifest pins " + m.sha256 +
                      "; the file was changed or the manifest is stale");
  }
}

void check_plugin_table(const Manifest& m, const pb_plugin_api* api) {
  if (api == nullptr)
    throw LoadError("plugin " + m.id +
                    ": entry point returned no plugin table (plugin bug, or "
                    "the plugin refused this host; see its log lines above)");
  if (api->abi_major != PLUGBOARD_ABI_MAJOR)
    throw LoadError("plugin " + m.id + ": library speaks plugin ABI " +
                    version(api->abi_major, api->abi_minor) + ", this runtime speaks " +
                    version(PLUGBOARD_ABI_MAJOR, PLUGBOARD_ABI_MINOR));
  if (api->min_host_minor > PLUGBOARD_ABI_MINOR)
    throw LoadError("plugin " + m.id + " needs a host of ABI " +
                    version(PLUGBOARD_ABI_MAJOR, api->min_host_minor) + " or later, this runtime is " +
                    version(PLUGBOARD_ABI_MAJOR, PLUGBOARD_ABI_MINOR));
  if (api->struct_size < kMinPluginTableSize)
    throw LoadError("plugin " + m.id + ": plugin table is " + std::to_string(api->struct_size) +
                    " bytes, smaller than ABI 1.0's " + std::to_string(kMinPluginTableSize));
  if (api->describe == nullptr || api->invoke_action == nullptr)
    throw LoadError("plugin " + m.id + ": plugin table lacks describe or invoke_action");

  std::string text;
  pb_writer w{&text, &append};
  if (api->describe(&w) != PB_OK) throw LoadError("plugin " + m.id + ": describe() failed");
  boost::system::error_code ec;
  boost::json::value d = boost::json::parse(text, ec);
  if (ec || !d.is_object()) throw LoadError("plugin " + m.id + ": describe() did not return a JSON object");
  const auto* provider = d.as_object().if_contains("provider");
  if (provider == nullptr || !provider->is_string() || provider->get_string() != m.id)
    throw LoadError("plugin " + m.id + ": library registers provider '" +
                    (provider != nullptr && provider->is_string() ? std::string(provider->get_string())
                                                                  : std::string("?")) +
                    "' but its manifest declares '" + m.id + "'");

  std::set<std::string> actions, triggers;
  for (const auto& a : m.actions) actions.insert(a.slug);
  for (const auto& t : m.triggers) triggers.insert(t.slug);
  check_same(m, "actions", actions, string_set(d.as_object().if_contains("actions")));
  check_same(m, "triggers", triggers, string_set(d.as_object().if_contains("triggers")));

  if (m.triggers.empty()) return;
  const auto hooks = trigger_hooks(api);
  for (const auto& t : m.triggers) {
    const bool ok = t.kind == "polling" ? hooks.poll != nullptr : hooks.handle_webhook != nullptr;
    if (!ok)
      throw LoadError("plugin " + m.id + ": trigger " + t.slug + " is a " + t.kind +
                      " trigger, but the library's table has no " +
                      (t.kind == "polling" ? "poll" : "handle_webhook") + " hook (built for ABI " +
                      version(api->abi_major, api->abi_minor) + "; triggers need 1.1)");
  }
}

LoadedPlugin::TriggerHooks trigger_hooks(const pb_plugin_api* api) {
  LoadedPlugin::TriggerHooks h;
  if (api == nullptr || api->struct_size < kTriggerTableSize) return h;
  h.poll = api->poll;
  h.handle_webhook = api->handle_webhook;
  h.subscribe = api->subscribe;
  h.unsubscribe = api->unsubscribe;
  return h;
}

std::filesystem::path Loader::private_copy(const Manifest& m) const {
  static std::atomic<unsigned> counter{0};
  std::error_code ec;
  std::filesystem::create_directories(copy_dir_, ec);
  const auto copy = copy_dir_ / (m.library.stem().string() + "-" + std::to_string(::getpid()) + "-" +
                                 std::to_string(counter.fetch_add(1)) + m.library.extension().string());
  if (!std::filesystem::copy_file(m.library, copy, std::filesystem::copy_options::overwrite_existing, ec))
    throw LoadError("plugin " + m.id + ": cannot copy " + m.library.string() + " to " + copy.string() + ": " +
                    ec.message());
  // The pin is checked again on the bytes that will really run, in case the file changed since.
  if (!m.sha256.empty() && file_sha256(copy) != m.sha256) {
    std::filesystem::remove(copy, ec);
    throw LoadError("plugin " + m.id + ": library " + m.library.filename().string() +
                    " changed while it was being loaded; its sha256 no longer matches the manifest's pin");
  }
  return copy;
}

std::shared_ptr<const LoadedPlugin> Loader::load(const std::filesystem::path& manifest_file) const {
  return open(parse_manifest(manifest_file));
}

std::shared_ptr<const LoadedPlugin> Loader::open(Manifest manifest) const {
  auto plugin = std::make_shared<LoadedPlugin>();
  plugin->manifest = std::move(manifest);
  const Manifest& m = plugin->manifest;
  check_before_open(m);

  const auto path = copy_dir_.empty() ? m.library : private_copy(m);
  try {
    // RTLD_LOCAL: a plugin's symbols never satisfy another plugin's (or our) references.
    plugin->library.load(path, boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now);
  } catch (const std::exception& e) {
    std::error_code ec;
    if (path != m.library) std::filesystem::remove(path, ec);
    throw LoadError("plugin " + m.id + ": cannot open " + m.library.string() + ": " + e.what());
  }
  std::error_code ec;
  if (path != m.library) std::filesystem::remove(path, ec);  // mapped now; nothing to clean up later
  if (!plugin->library.has(PLUGBOARD_ENTRY_SYMBOL))
    throw LoadError("plugin " + m.id + ": " + m.library.filename().string() + " does not export " +
                    PLUGBOARD_ENTRY_SYMBOL + " (build it with plugboard_add_plugin)");
  auto entry = plugin->library.get<const pb_plugin_api*(const pb_host_api*)>(PLUGBOARD_ENTRY_SYMBOL);
  try {
    plugin->api = entry(host_);
  } catch (...) {
    throw LoadError("plugin " + m.id + ": entry point threw an exception (plugin bug)");
  }
  check_plugin_table(m, plugin->api);
  plugin->hooks = trigger_hooks(plugin->api);
  if (!m.reentrant) plugin->serial = std::make_unique<std::mutex>();
  return plugin;
}

Registry Loader::load_directory(const std::filesystem::path& dir) const {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path());
  }
  if (ec) spdlog::error("plugins directory {} cannot be read: {}", dir.string(), ec.message());
  std::sort(files.begin(), files.end());

  std::vector<std::shared_ptr<const LoadedPlugin>> loaded;
  std::vector<LoadFailure> failures;
  for (const auto& file : files) {
    std::string provider;
    try {
      Manifest m = parse_manifest(file);
      provider = m.id;
      auto dup = std::find_if(loaded.begin(), loaded.end(), [&](const auto& p) { return p->id() == m.id; });
      if (dup != loaded.end())
        throw LoadError("duplicate provider id " + m.id + ": already loaded from " +
                        (*dup)->manifest.file.filename().string() + "; this copy is not opened");
      const bool isolated = open_isolated_ && isolated_.count(m.id) > 0;
      auto plugin = isolated ? open_isolated_(std::move(m)) : open(std::move(m));
      spdlog::info("plugin {} {} loaded from {} ({} actions{})", plugin->id(), plugin->manifest.version,
                   file.filename().string(), plugin->manifest.actions.size(),
                   isolated ? ", isolation: process" : "");
      loaded.push_back(std::move(plugin));
    } catch (const std::exception& e) {
      spdlog::error("plugin skipped: {}: {}", file.filename().string(), e.what());
      failures.push_back({file, provider, e.what()});
    }
  }
  for (const auto& id : isolated_)  // a typo in the operator's config should not pass silently
    if (std::none_of(loaded.begin(), loaded.end(), [&](const auto& p) { return p->id() == id; }) &&
        std::none_of(failures.begin(), failures.end(), [&](const auto& f) { return f.provider == id; }))
      spdlog::warn("plugins.isolation names provider {}, but no manifest in {} declares it", id,
                   dir.string());
  return Registry(std::move(loaded), std::move(failures));
}

}  // namespace plugboard::plugins

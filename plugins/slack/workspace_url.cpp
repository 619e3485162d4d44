#include "workspace_url.hpp"

#include "params.hpp"
#include "slack_api.hpp"

#include <chrono>
#include <mutex>
#include <unordered_map>

namespace slack {
namespace {

struct Entry {
  std::string url;
  std::chrono::steady_clock::time_point fetched;
};

// Handlers run on many threads; one small map serves them all. A workspace's URL changes
// only when it is renamed, so an hour is fresh enough.
constexpr auto kFresh = std::chrono::hours(1);
constexpr std::size_t kMaxEntries = 10000;
std::mutex g_mutex;
std::unordered_map<std::string, Entry> g_urls;

}  // namespace

std::string workspace_url(plugboard::Context& ctx) {
  const auto info = ctx.call_info();
  const std::string key = string_param(info, "connection_id");
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(g_mutex);
    if (auto it = g_urls.find(key); it != g_urls.end() && now - it->second.fetched < kFresh)
      return it->second.url;
  }
  std::string url;
  try {
    url = string_param(get(ctx, "auth.test"), "url");
  } catch (const plugboard::ActionError& e) {
    ctx.warn("Slack auth.test failed, no permalink: " + e.message);
    return {};
  }
  if (!url.empty() && url.back() != '/') url += '/';
  std::lock_guard lock(g_mutex);
  if (g_urls.size() >= kMaxEntries) g_urls.clear();
  g_urls[key] = {url, now};
  return url;
}

std::string permalink(const std::string& workspace_url, const std::string& channel, const std::string& ts,
                      const std::string& thread_ts) {
  if (workspace_url.empty() || channel.empty() || ts.empty()) return {};
  std::string digits;
  for (char c : ts)
    if (c != '.') digits += c;
  std::string link = workspace_url + "archives/" + channel + "/p" + digits;
  if (!thread_ts.empty() && thread_ts != ts) link += "?thread_ts=" + thread_ts + "&cid=" + channel;
  return link;
}

}  // namespace slack

#include "auth/api_key_service.hpp"

#include "auth/change_feed.hpp"

#include "store/iso_time.hpp"
#include "vault/api_key.hpp"
#include "vault/random.hpp"

#include <algorithm>
#include <stdexcept>

namespace plugboard::auth {

const std::vector<std::string>& known_operations() {
  static const std::vector<std::string> ops{"read", "write", "execute", "admin"};
  return ops;
}

namespace {

std::shared_ptr<const Principal> to_principal(const store::ApiKey& k) {
  if (k.revoked) return nullptr;
  auto p = std::make_shared<Principal>();
  p->key_id = k.id;
  p->workspace_id = k.workspace_id;
  p->operations = k.operations;
  p->integrations = k.integrations;
  p->projects = k.projects;
  if (k.rate_limit) {
    p->requests_per_hour = k.rate_limit->requests_per_hour;
    p->burst_limit = k.rate_limit->burst_limit;
  }
  if (k.expires_at) {
    auto t = store::parse_iso(*k.expires_at);
    p->expires_at = t ? *t : std::chrono::system_clock::time_point::min();
  }
  return p;
}

}  // namespace

ApiKeyService::ApiKeyService(store::Store& store, std::chrono::seconds cache_ttl)
    : store_(store), ttl_(cache_ttl) {}

NewApiKey ApiKeyService::create(const std::string& workspace_id, const std::string& name,
                                std::vector<std::string> operations, std::vector<std::string> integrations,
                                std::vector<std::string> projects, std::optional<std::string> expires_at,
                                std::optional<store::RateLimit> rate_limit) {
  for (const auto& op : operations)
    if (const auto& known = known_operations(); std::find(known.begin(), known.end(), op) == known.end())
      throw std::invalid_argument("unknown operation '" + op + "' (read, write, execute, admin)");
  if (expires_at) {
    auto t = store::parse_iso(*expires_at);
    if (!t) throw std::invalid_argument("expires_at must be an ISO 8601 time");
    expires_at = store::to_iso(*t);
  }
  auto gen = vault::generate_api_key();
  NewApiKey out;
  out.key = gen.key;
  store::ApiKey& k = out.record;
  k.id = vault::new_uuid();
  k.workspace_id = workspace_id;
  k.name = name;
  k.prefix = gen.prefix;
  k.hash = gen.hash;
  k.operations =
      operations.empty() ? std::vector<std::string>{"read", "write", "execute"} : std::move(operations);
  k.integrations = std::move(integrations);
  k.projects = std::move(projects);
  k.expires_at = std::move(expires_at);
  k.rate_limit = rate_limit;
  k.created_at = store::now_iso();
  store_.api_keys().create(k);
  return out;
}

std::vector<store::ApiKey> ApiKeyService::list(const std::string& workspace_id, const store::Page& page) {
  return store_.api_keys().list(workspace_id, page);
}

std::int64_t ApiKeyService::count(const std::string& workspace_id) {
  return store_.api_keys().count(workspace_id);
}

std::optional<store::ApiKey> ApiKeyService::get(const std::string& workspace_id, const std::string& id) {
  auto k = store_.api_keys().get(id);
  if (!k || k->workspace_id != workspace_id) return std::nullopt;
  return k;
}

bool ApiKeyService::revoke(const std::string& workspace_id, const std::string& id) {
  auto k = get(workspace_id, id);
  if (!k) return false;
  store_.api_keys().revoke(id);
  {
    std::unique_lock lock(mutex_);
    by_hash_.erase(k->hash);
  }
  publish_change(store_, topics::kApiKey, id);
  return true;
}

void ApiKeyService::forget_key(const std::string& id) {
  // By id, not hash: the feed never carries anything derived from the key. Changes are rare,
  // so a scan of the cache is fine.
  std::unique_lock lock(mutex_);
  std::erase_if(by_hash_,
                [&](const auto& kv) { return kv.second->principal && kv.second->principal->key_id == id; });
}

void ApiKeyService::forget_all() {
  std::unique_lock lock(mutex_);
  by_hash_.clear();
}

std::shared_ptr<const Principal> ApiKeyService::authenticate(std::string_view presented) {
  if (!vault::looks_like_api_key(presented)) return nullptr;
  const std::string hash = vault::hash_api_key(presented);
  const auto now = std::chrono::steady_clock::now();
  std::shared_ptr<Cached> entry;
  {
    std::shared_lock lock(mutex_);
    if (auto it = by_hash_.find(hash); it != by_hash_.end() && now - it->second->loaded < ttl_)
      entry = it->second;
  }
  if (!entry) {
    auto record = store_.api_keys().find_by_hash(hash);
    entry = std::make_shared<Cached>();
    entry->principal = record ? to_principal(*record) : nullptr;
    entry->loaded = now;
    std::unique_lock lock(mutex_);
    if (by_hash_.size() > 100000) by_hash_.clear();  // bound memory against floods of junk keys
    by_hash_[hash] = entry;
  }
  const auto& principal = entry->principal;
  const auto wall = std::chrono::system_clock::now();
  if (!principal || principal->expires_at <= wall) return nullptr;
  entry->unwritten_use.store(
      std::chrono::duration_cast<std::chrono::seconds>(wall.time_since_epoch()).count(),
      std::memory_order_relaxed);
  return principal;
}

std::vector<std::pair<std::string, std::string>> ApiKeyService::take_last_used() {
  std::vector<std::pair<std::string, std::string>> out;
  std::shared_lock lock(mutex_);
  for (const auto& [hash, entry] : by_hash_) {
    const auto used = entry->unwritten_use.exchange(0, std::memory_order_relaxed);
    if (used != 0 && entry->principal)
      out.emplace_back(entry->principal->key_id,
                       store::to_iso(std::chrono::system_clock::time_point(std::chrono::seconds(used))));
  }
  return out;
}

}  // namespace plugboard::auth

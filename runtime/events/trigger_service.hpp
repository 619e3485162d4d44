// Subscriptions to provider triggers: created and removed by API clients, fed by providers
// at /hooks/{id} (webhook triggers) or by the scheduler's polls (polling triggers), renewed
// at the provider before they expire. Every event a trigger reports goes to the EventSink
// first and is marked seen only after it was stored, so a crash can repeat an event but
// never lose one; items already seen are dropped.
#pragma once

#include "auth/principal.hpp"
#include "events/event.hpp"
#include "execute/connection_service.hpp"
#include "execute/execute_service.hpp"
#include "plugins/registry_handle.hpp"
#include "store/repositories.hpp"
#include "vault/vault.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace plugboard::events {

struct TriggerOptions {
  std::chrono::seconds lease{120};             // how long a node may work on one subscription
  std::chrono::seconds max_backoff{3600};      // the longest wait after repeated failures
  std::chrono::seconds renew_margin{3600};     // renew registrations this long before they expire
  std::chrono::hours seen_retention{24 * 30};  // how long seen item ids are remembered
  std::int64_t min_interval_seconds = 10;      // the operator's floor under poll intervals
  int workers = 2;                             // scheduler threads running polls and renewals
};

struct NewTrigger {
  std::string project_id;
  std::string connection_id;
  std::string trigger;  // slug
  std::string name;
  boost::json::object config;                    // secret fields (the manifest's `secrets`) included
  std::optional<std::int64_t> interval_seconds;  // polling: instead of the manifest's
};

struct TriggerPatch {
  std::optional<std::string> name;
  std::optional<boost::json::object> config;
  std::optional<std::string> status;  // active, paused
  std::optional<std::int64_t> interval_seconds;
};

// An HTTP request that arrived at /hooks/{id}, and what to answer it.
struct HookRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};
struct HookResponse {
  int status = 200;
  std::map<std::string, std::string> headers;
  std::string body;
};

class TriggerService {
 public:
  TriggerService(store::Store& store, const vault::Vault& vault, const plugins::RegistryHandle& registry,
                 execute::ConnectionService& connections, execute::ExecuteService& execute, EventSink& events,
                 TriggerOptions options = {});

  // Where providers reach this server (the hook URLs handed to plugins).
  void set_public_url(std::string url) { public_url_ = std::move(url); }

  // Throws ServiceError: validation_error (with the field), not_found, forbidden, provider_error.
  store::TriggerSubscription subscribe(const auth::Principal& who, const NewTrigger& in,
                                       const std::string& request_id);
  std::optional<store::TriggerSubscription> get(const auth::Principal& who, const std::string& id);
  std::vector<store::TriggerSubscription> list(const store::TriggerFilter& f, const store::Page& page);
  std::int64_t count(const store::TriggerFilter& f);
  store::TriggerSubscription update(const auth::Principal& who, const std::string& id, const TriggerPatch& p);
  // Removes the provider's registration (best effort: a provider that is gone must not keep a
  // subscription alive here) and then the subscription. False when there was none.
  bool unsubscribe(const auth::Principal& who, const std::string& id, const std::string& request_id);

  // The subscription as clients see it: secrets redacted, state summarised.
  boost::json::object view(const store::TriggerSubscription& t) const;
  std::string hook_url(const std::string& id) const { return public_url_ + "/hooks/" + id; }

  // An inbound provider request. Never throws: every failure is an HTTP answer.
  HookResponse handle_hook(const std::string& id, const HookRequest& req, const std::string& request_id);

  // Claims and runs the due polls and renewals as `node`; returns how many ran.
  std::size_t run_due(const std::string& node, std::size_t limit);

 private:
  execute::TriggerScope scope_for(const store::TriggerSubscription& t) const;
  // Turns a hook's events into stored events; returns the ids now seen (published ones).
  std::vector<std::string> publish(const store::TriggerSubscription& t, const boost::json::value* events,
                                   const std::string& fallback_type);
  void run_one(const store::TriggerSubscription& t, const std::string& node);
  const plugins::Trigger* manifest_trigger(const std::string& provider, const std::string& slug) const;
  std::string next_renewal(const std::string& expires_at) const;
  std::int64_t checked_interval(std::int64_t seconds) const;

  store::Store& store_;
  const vault::Vault& vault_;
  const plugins::RegistryHandle& registry_;
  execute::ConnectionService& connections_;
  execute::ExecuteService& execute_;
  EventSink& events_;
  TriggerOptions options_;
  std::string public_url_;
};

}  // namespace plugboard::events

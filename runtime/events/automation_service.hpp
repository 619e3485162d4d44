// Automations as API clients manage them (/api/v2/automations, seed 003's setTriggers and
// mapFields): an event type and conditions leading to an action on a connection, with
// parameters built from the event. Checked when saved, so a run fails only for reasons that
// depend on the event or the provider. Running them is AutomationRunner's business.
#pragma once

#include "auth/principal.hpp"
#include "events/automation_rules.hpp"
#include "execute/connection_service.hpp"
#include "plugins/registry_handle.hpp"
#include "store/repositories.hpp"

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace plugboard::events {

struct NewAutomation {
  std::string name;
  std::string description;
  std::string event;  // the event type it listens for
  boost::json::value conditions;
  boost::json::value mappings;
  std::string connection_id;
  std::string action;
  std::string user_id;
  boost::json::object parameters;
  bool active = true;
};

struct AutomationPatch {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::string> event;
  std::optional<boost::json::value> conditions;
  std::optional<boost::json::value> mappings;
  std::optional<std::string> connection_id;
  std::optional<std::string> action;
  std::optional<std::string> user_id;
  std::optional<boost::json::object> parameters;
  std::optional<bool> active;
};

class AutomationService {
 public:
  AutomationService(store::Store& store, const plugins::RegistryHandle& registry,
                    execute::ConnectionService& connections);

  // Throws ServiceError: validation_error (with the field), not_found, forbidden.
  store::Automation create(const auth::Principal& who, const NewAutomation& in);
  std::optional<store::Automation> get(const auth::Principal& who, const std::string& id);
  std::vector<store::Automation> list(const auth::Principal& who, const store::Page& page);
  std::int64_t count(const auth::Principal& who);
  store::Automation update(const auth::Principal& who, const std::string& id, const AutomationPatch& p);
  bool remove(const auth::Principal& who, const std::string& id);
  // Newest first; nullopt when the automation is not the caller's.
  std::optional<std::vector<store::AutomationRun>> runs(const auth::Principal& who, const std::string& id,
                                                        std::int64_t limit);

  static boost::json::object view(const store::Automation& a);
  static boost::json::object view(const store::AutomationRun& r);

 private:
  // Checks the whole automation as it would be saved; fills project_id from the connection.
  void check(const auth::Principal& who, store::Automation& a) const;

  store::Store& store_;
  const plugins::RegistryHandle& registry_;
  execute::ConnectionService& connections_;
};

}  // namespace plugboard::events

// The AutomationRepository (both dialects, see sql_db.hpp): automations and their runs.
#pragma once

#include "store/repositories.hpp"
#include "store/sql_db.hpp"

namespace plugboard::store {

class SqlAutomationRepository final : public AutomationRepository {
 public:
  explicit SqlAutomationRepository(Db& db) : db_(db) {}
  void create(const Automation& a) override;
  std::optional<Automation> get(const std::string& id) override;
  std::vector<Automation> list(const std::string& workspace_id, const std::vector<std::string>& project_ids,
                               const Page& page) override;
  std::int64_t count(const std::string& workspace_id, const std::vector<std::string>& project_ids) override;
  void update(const Automation& a) override;
  bool remove(const std::string& id) override;
  std::vector<Automation> listening(const std::string& workspace_id, const std::string& event_type) override;
  void record_outcome(const std::string& id, const std::string& at, const std::string& status,
                      const std::string& error) override;
  bool enqueue(const AutomationRun& run) override;
  std::vector<AutomationRun> claim_due(const std::string& now, const std::string& node,
                                       const std::string& lease_until, std::int64_t limit) override;
  bool finish(const AutomationRun& run, const std::string& node) override;
  std::vector<AutomationRun> runs(const std::string& automation_id, std::int64_t limit) override;

 private:
  Db& db_;
};

}  // namespace plugboard::store

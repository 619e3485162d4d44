// The TriggerRepository (both dialects, see sql_db.hpp).
#pragma once

#include "store/repositories.hpp"
#include "store/sql_db.hpp"

namespace plugboard::store {

class SqlTriggerRepository final : public TriggerRepository {
 public:
  explicit SqlTriggerRepository(Db& db) : db_(db) {}
  void create(const TriggerSubscription& t) override;
  std::optional<TriggerSubscription> get(const std::string& id) override;
  std::vector<TriggerSubscription> list(const TriggerFilter& filter, const Page& page) override;
  std::int64_t count(const TriggerFilter& filter) override;
  void update(const TriggerSubscription& t) override;
  bool remove(const std::string& id) override;
  std::vector<TriggerSubscription> claim_due(const std::string& now, const std::string& node,
                                             const std::string& lease_until, std::int64_t limit) override;
  std::vector<std::string> unseen(const std::string& id, const std::vector<std::string>& ids) override;
  bool finish(const std::string& id, const std::string& node, const TriggerRunOutcome& outcome) override;
  std::vector<SealedField> list_sealed(const std::string& after_id, std::int64_t limit) override;
  std::int64_t replace_sealed(const std::vector<SealedFieldUpdate>& updates) override;

 private:
  Db& db_;
};

}  // namespace plugboard::store

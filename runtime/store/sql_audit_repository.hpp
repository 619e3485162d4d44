// The AuditRepository (both dialects, see sql_db.hpp): an append-only table read newest
// first, a page at a time.
#pragma once

#include "store/repositories.hpp"
#include "store/sql_db.hpp"

namespace plugboard::store {

class SqlAuditRepository final : public AuditRepository {
 public:
  explicit SqlAuditRepository(Db& db) : db_(db) {}
  void append(const AuditEntry& e) override;
  std::vector<AuditEntry> list(const AuditFilter& filter, const std::optional<AuditPosition>& after,
                               std::int64_t limit) override;

 private:
  Db& db_;
};

}  // namespace plugboard::store

// The events module's repositories (events, webhooks, deliveries), for both dialects.
// Each shares the store's Db, which must outlive it.
#pragma once

#include "store/repositories.hpp"
#include "store/sql_db.hpp"

namespace plugboard::store {

class SqlEventRepository final : public EventRepository {
 public:
  explicit SqlEventRepository(Db& db) : db_(db) {}
  void append(const EventRecord& e) override;
  std::optional<EventRecord> get(const std::string& id) override;
  std::optional<EventRecord> find_external(const std::string& workspace_id, const std::string& source,
                                           const std::string& external_id) override;
  std::vector<EventRecord> undispatched(std::int64_t limit) override;
  void mark_dispatched(const std::vector<std::int64_t>& seqs) override;
  std::int64_t prune(const std::string& cutoff, std::int64_t limit) override;

 private:
  Db& db_;
};

class SqlWebhookRepository final : public WebhookRepository {
 public:
  explicit SqlWebhookRepository(Db& db) : db_(db) {}
  void create(const WebhookRecord& w) override;
  std::optional<WebhookRecord> get(const std::string& id) override;
  std::vector<WebhookRecord> list(const WebhookFilter& filter, const Page& page) override;
  std::int64_t count(const WebhookFilter& filter) override;
  void update(const WebhookRecord& w) override;
  bool remove(const std::string& id) override;
  std::vector<WebhookRecord> list_active(const std::string& workspace_id) override;
  void record_success(const std::string& id) override;
  bool record_failure(const std::string& id, std::int64_t threshold, const std::string& reason,
                      const std::string& now) override;
  std::vector<SealedField> list_sealed(const std::string& after_id, std::int64_t limit) override;
  std::int64_t replace_sealed(const std::vector<SealedFieldUpdate>& updates) override;

 private:
  Db& db_;
};

class SqlDeliveryRepository final : public DeliveryRepository {
 public:
  explicit SqlDeliveryRepository(Db& db) : db_(db) {}
  bool enqueue(const WebhookDelivery& d) override;
  std::int64_t enqueue_all(const std::vector<WebhookDelivery>& ds) override;
  std::optional<WebhookDelivery> get(const std::string& id) override;
  std::vector<WebhookDelivery> list(const DeliveryFilter& filter, std::int64_t limit) override;
  std::int64_t count(const DeliveryFilter& filter) override;
  std::vector<WebhookDelivery> claim(const std::string& node, std::int64_t now_ms, std::int64_t lease_ms,
                                     std::int64_t limit) override;
  std::optional<std::int64_t> next_due_ms() override;
  bool finish(const WebhookDelivery& d, const std::string& node) override;
  bool requeue(const std::string& id, std::int64_t now_ms, const std::string& now) override;
  std::int64_t prune(const std::string& cutoff, std::int64_t limit) override;
  std::vector<std::pair<std::string, std::int64_t>> count_by_status() override;  // sql_delivery_stats.cpp

 private:
  Db& db_;
};

}  // namespace plugboard::store

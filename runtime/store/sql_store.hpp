// The store over a Db of either dialect (SQLite file or PostgreSQL server), migrated when opened.
#pragma once

#include "store/repositories.hpp"
#include "store/sql_audit_repository.hpp"
#include "store/sql_automation_repository.hpp"
#include "store/sql_db.hpp"
#include "store/sql_event_repositories.hpp"
#include "store/sql_multinode_repositories.hpp"
#include "store/sql_oauth_state_repository.hpp"
#include "store/sql_repositories.hpp"
#include "store/sql_trigger_repository.hpp"

#include <memory>
#include <string>

namespace plugboard::store {

class SqlStore final : public Store {
 public:
  static constexpr int kMaxSessions = 8;

  // Applies pending migrations to db. Throws StoreError, e.g. for a database written by a
  // newer Plugboard.
  explicit SqlStore(std::unique_ptr<Db> db);

  WorkspaceRepository& workspaces() override { return workspaces_; }
  ProjectRepository& projects() override { return projects_; }
  ApiKeyRepository& api_keys() override { return api_keys_; }
  ConnectionRepository& connections() override { return connections_; }
  ExecutionRepository& executions() override { return executions_; }
  IntegrationRepository& integrations() override { return integrations_; }
  OAuthStateRepository& oauth_states() override { return oauth_states_; }
  AuditRepository& audit() override { return audit_; }
  TriggerRepository& triggers() override { return triggers_; }
  AutomationRepository& automations() override { return automations_; }
  EventRepository& events() override { return events_; }
  WebhookRepository& webhooks() override { return webhooks_; }
  DeliveryRepository& deliveries() override { return deliveries_; }
  ChangeFeedRepository& change_feed() override { return change_feed_; }
  RateBucketRepository& rate_buckets() override { return rate_buckets_; }
  int schema_version() override;

  Dialect dialect() const { return db_->dialect(); }
  // SQLite's journal mode ("wal" once open); "" on PostgreSQL. For health checks and tests.
  std::string journal_mode();

 private:
  std::unique_ptr<Db> db_;
  SqlWorkspaceRepository workspaces_{*db_};
  SqlProjectRepository projects_{*db_};
  SqlApiKeyRepository api_keys_{*db_};
  SqlConnectionRepository connections_{*db_};
  SqlExecutionRepository executions_{*db_};
  SqlIntegrationRepository integrations_{*db_};
  SqlOAuthStateRepository oauth_states_{*db_};
  SqlAuditRepository audit_{*db_};
  SqlTriggerRepository triggers_{*db_};
  SqlAutomationRepository automations_{*db_};
  SqlEventRepository events_{*db_};
  SqlWebhookRepository webhooks_{*db_};
  SqlDeliveryRepository deliveries_{*db_};
  SqlChangeFeedRepository change_feed_{*db_};
  SqlRateBucketRepository rate_buckets_{*db_};
};

}  // namespace plugboard::store

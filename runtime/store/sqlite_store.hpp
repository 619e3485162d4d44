// The SQLite backend: one database file in WAL mode, migrated when opened.
#pragma once

#include "store/repositories.hpp"
#include "store/sqlite_audit_repository.hpp"
#include "store/sqlite_automation_repository.hpp"
#include "store/sqlite_db.hpp"
#include "store/sqlite_event_repositories.hpp"
#include "store/sqlite_multinode_repositories.hpp"
#include "store/sqlite_oauth_state_repository.hpp"
#include "store/sqlite_repositories.hpp"
#include "store/sqlite_trigger_repository.hpp"

#include <string>

namespace plugboard::store {

class SqliteStore final : public Store {
 public:
  static constexpr int kMaxSessions = 8;

  // Opens (creating) the file at path and applies pending migrations. Throws StoreError,
  // e.g. for a database written by a newer Plugboard.
  explicit SqliteStore(const std::string& path, int max_sessions = kMaxSessions);

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

  // "wal" once open; exposed for health checks and tests.
  std::string journal_mode();

 private:
  SqliteDb db_;
  SqliteWorkspaceRepository workspaces_{db_};
  SqliteProjectRepository projects_{db_};
  SqliteApiKeyRepository api_keys_{db_};
  SqliteConnectionRepository connections_{db_};
  SqliteExecutionRepository executions_{db_};
  SqliteIntegrationRepository integrations_{db_};
  SqliteOAuthStateRepository oauth_states_{db_};
  SqliteAuditRepository audit_{db_};
  SqliteTriggerRepository triggers_{db_};
  SqliteAutomationRepository automations_{db_};
  SqliteEventRepository events_{db_};
  SqliteWebhookRepository webhooks_{db_};
  SqliteDeliveryRepository deliveries_{db_};
  SqliteChangeFeedRepository change_feed_{db_};
  SqliteRateBucketRepository rate_buckets_{db_};
};

}  // namespace plugboard::store

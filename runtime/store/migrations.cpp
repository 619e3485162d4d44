#include "store/migrations.hpp"

namespace plugboard::store {

namespace {

// Times are ISO 8601 UTC text in both dialects, so values compare and sort as strings and
// move between backends unchanged. JSON-valued columns are text for the same reason. Flags
// are INTEGER 0/1 in both dialects (not PostgreSQL BOOLEAN), so the repositories' SQL
// (active = 1) is one text; the PostgreSQL steps were first released with that choice.
// Where one text is valid in both dialects (INTEGER is 4 bytes on PostgreSQL: enough for
// counts and intervals; unix-ms columns are BIGINT) a step shares it.
// Executions keep no foreign keys: the log outlives the connections and projects it names,
// and a batch must never fail because one of them was deleted meanwhile. Connections do not
// reference projects either: what removing a project does to them is the service's call.
const char* const kInitialSqlite = R"sql(
CREATE TABLE workspaces (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  created_at  TEXT NOT NULL
);
CREATE TABLE projects (
  id            TEXT PRIMARY KEY,
  workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
  name          TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  UNIQUE (workspace_id, name)
);
CREATE TABLE api_keys (
  id                   TEXT PRIMARY KEY,
  workspace_id         TEXT NOT NULL REFERENCES workspaces(id),
  name                 TEXT NOT NULL,
  prefix               TEXT NOT NULL,
  hash                 TEXT NOT NULL UNIQUE,
  operations           TEXT NOT NULL,
  integrations         TEXT NOT NULL,
  projects             TEXT NOT NULL,
  expires_at           TEXT,
  rate_limit_per_hour  INTEGER,
  rate_limit_burst     INTEGER,
  revoked              INTEGER NOT NULL DEFAULT 0,
  created_at           TEXT NOT NULL,
  last_used            TEXT
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id, created_at);
CREATE TABLE connections (
  id                  TEXT PRIMARY KEY,
  workspace_id        TEXT NOT NULL REFERENCES workspaces(id),
  project_id          TEXT NOT NULL,
  provider            TEXT NOT NULL,
  integration_id      TEXT NOT NULL,
  name                TEXT NOT NULL,
  auth_type           TEXT NOT NULL,
  status              TEXT NOT NULL,
  configuration       TEXT NOT NULL,
  sealed_credentials  TEXT,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL
);
CREATE INDEX connections_workspace ON connections (workspace_id, created_at);
CREATE INDEX connections_integration ON connections (integration_id);
CREATE TABLE executions (
  id               TEXT PRIMARY KEY,
  request_id       TEXT NOT NULL,
  workspace_id     TEXT NOT NULL,
  project_id       TEXT NOT NULL,
  connection_id    TEXT NOT NULL,
  provider         TEXT NOT NULL,
  action           TEXT NOT NULL,
  status           TEXT NOT NULL,
  error_code       TEXT NOT NULL,
  duration_ms      INTEGER NOT NULL,
  started_at       TEXT NOT NULL,
  parameters       TEXT NOT NULL,
  result           TEXT NOT NULL
);
CREATE INDEX executions_workspace_started ON executions (workspace_id, started_at);
)sql";

const char* const kInitialPostgres = R"sql(
CREATE TABLE workspaces (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  created_at  TEXT NOT NULL
);
CREATE TABLE projects (
  id            TEXT PRIMARY KEY,
  workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
  name          TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  UNIQUE (workspace_id, name)
);
CREATE TABLE api_keys (
  id                   TEXT PRIMARY KEY,
  workspace_id         TEXT NOT NULL REFERENCES workspaces(id),
  name                 TEXT NOT NULL,
  prefix               TEXT NOT NULL,
  hash                 TEXT NOT NULL UNIQUE,
  operations           TEXT NOT NULL,
  integrations         TEXT NOT NULL,
  projects             TEXT NOT NULL,
  expires_at           TEXT,
  rate_limit_per_hour  BIGINT,
  rate_limit_burst     BIGINT,
  revoked              INTEGER NOT NULL DEFAULT 0,
  created_at           TEXT NOT NULL,
  last_used            TEXT
);
CREATE INDEX api_keys_workspace ON api_keys (workspace_id, created_at);
CREATE TABLE connections (
  id                  TEXT PRIMARY KEY,
  workspace_id        TEXT NOT NULL REFERENCES workspaces(id),
  project_id          TEXT NOT NULL,
  provider            TEXT NOT NULL,
  integration_id      TEXT NOT NULL,
  name                TEXT NOT NULL,
  auth_type           TEXT NOT NULL,
  status              TEXT NOT NULL,
  configuration       TEXT NOT NULL,
  sealed_credentials  TEXT,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL
);
CREATE INDEX connections_workspace ON connections (workspace_id, created_at);
CREATE INDEX connections_integration ON connections (integration_id);
CREATE TABLE executions (
  id               TEXT PRIMARY KEY,
  request_id       TEXT NOT NULL,
  workspace_id     TEXT NOT NULL,
  project_id       TEXT NOT NULL,
  connection_id    TEXT NOT NULL,
  provider         TEXT NOT NULL,
  action           TEXT NOT NULL,
  status           TEXT NOT NULL,
  error_code       TEXT NOT NULL,
  duration_ms      BIGINT NOT NULL,
  started_at       TEXT NOT NULL,
  parameters       TEXT NOT NULL,
  result           TEXT NOT NULL
);
CREATE INDEX executions_workspace_started ON executions (workspace_id, started_at);
)sql";

// Integrations: an operator's configured instances of providers, per workspace.
const char* const kIntegrationsSqlite = R"sql(
CREATE TABLE integrations (
  id                    TEXT PRIMARY KEY,
  workspace_id          TEXT NOT NULL REFERENCES workspaces(id),
  name                  TEXT NOT NULL,
  slug                  TEXT NOT NULL,
  type                  TEXT NOT NULL,
  category              TEXT NOT NULL,
  description           TEXT NOT NULL,
  mode                  TEXT NOT NULL,
  auth_type             TEXT NOT NULL,
  scope                 TEXT NOT NULL,
  auth_uri              TEXT NOT NULL,
  token_uri             TEXT NOT NULL,
  revocation_uri        TEXT NOT NULL,
  api_base_uri          TEXT NOT NULL,
  client_id             TEXT NOT NULL,
  sealed_client_secret  TEXT,
  basic_token_auth      INTEGER NOT NULL,
  sealed_api_key        TEXT,
  api_key_location      TEXT NOT NULL,
  api_key_name          TEXT NOT NULL,
  image_url             TEXT NOT NULL,
  sealed_headers        TEXT,
  data                  TEXT NOT NULL,
  shares                TEXT NOT NULL,
  sandbox               INTEGER NOT NULL,
  is_default            INTEGER NOT NULL,
  icon                  TEXT,
  icon_content_type     TEXT NOT NULL,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  UNIQUE (workspace_id, name),
  UNIQUE (workspace_id, slug)
);
CREATE INDEX integrations_workspace ON integrations (workspace_id, created_at);
)sql";

const char* const kIntegrationsPostgres = R"sql(
CREATE TABLE integrations (
  id                    TEXT PRIMARY KEY,
  workspace_id          TEXT NOT NULL REFERENCES workspaces(id),
  name                  TEXT NOT NULL,
  slug                  TEXT NOT NULL,
  type                  TEXT NOT NULL,
  category              TEXT NOT NULL,
  description           TEXT NOT NULL,
  mode                  TEXT NOT NULL,
  auth_type             TEXT NOT NULL,
  scope                 TEXT NOT NULL,
  auth_uri              TEXT NOT NULL,
  token_uri             TEXT NOT NULL,
  revocation_uri        TEXT NOT NULL,
  api_base_uri          TEXT NOT NULL,
  client_id             TEXT NOT NULL,
  sealed_client_secret  TEXT,
  basic_token_auth      INTEGER NOT NULL,
  sealed_api_key        TEXT,
  api_key_location      TEXT NOT NULL,
  api_key_name          TEXT NOT NULL,
  image_url             TEXT NOT NULL,
  sealed_headers        TEXT,
  data                  TEXT NOT NULL,
  shares                TEXT NOT NULL,
  sandbox               INTEGER NOT NULL,
  is_default            INTEGER NOT NULL,
  icon                  TEXT,
  icon_content_type     TEXT NOT NULL,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  UNIQUE (workspace_id, name),
  UNIQUE (workspace_id, slug)
);
CREATE INDEX integrations_workspace ON integrations (workspace_id, created_at);
)sql";

// OAuth2 authorization requests in flight: the signed state's record, holding the PKCE
// verifier and where the connection goes, taken once by the callback (single use).
const char* const kOAuthStatesSqlite = R"sql(
CREATE TABLE oauth_states (
  id           TEXT PRIMARY KEY,
  payload      TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  consumed_at  TEXT,
  created_at   TEXT NOT NULL
);
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);
)sql";

const char* const kOAuthStatesPostgres = R"sql(
CREATE TABLE oauth_states (
  id           TEXT PRIMARY KEY,
  payload      TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  consumed_at  TEXT,
  created_at   TEXT NOT NULL
);
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);
)sql";

// The audit log: who changed which integration, connection or API key, and how. No foreign
// keys: entries outlive the resources, keys and even workspaces they name. seq orders entries
// written within the same second; in SQLite it is the rowid, so the (..., created_at) indexes
// already end with it.
const char* const kAuditSqlite = R"sql(
CREATE TABLE audit_log (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  id              TEXT NOT NULL UNIQUE,
  workspace_id    TEXT NOT NULL,
  actor_key_id    TEXT NOT NULL,
  actor_label     TEXT NOT NULL,
  action          TEXT NOT NULL,
  resource_type   TEXT NOT NULL,
  resource_id     TEXT NOT NULL,
  integration_id  TEXT NOT NULL,
  changes         TEXT NOT NULL,
  request_id      TEXT NOT NULL,
  created_at      TEXT NOT NULL
);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, created_at);
CREATE INDEX audit_log_resource ON audit_log (resource_type, resource_id, created_at);
CREATE INDEX audit_log_integration ON audit_log (integration_id, created_at);
)sql";

const char* const kAuditPostgres = R"sql(
CREATE TABLE audit_log (
  seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id              TEXT NOT NULL UNIQUE,
  workspace_id    TEXT NOT NULL,
  actor_key_id    TEXT NOT NULL,
  actor_label     TEXT NOT NULL,
  action          TEXT NOT NULL,
  resource_type   TEXT NOT NULL,
  resource_id     TEXT NOT NULL,
  integration_id  TEXT NOT NULL,
  changes         TEXT NOT NULL,
  request_id      TEXT NOT NULL,
  created_at      TEXT NOT NULL
);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, created_at, seq);
CREATE INDEX audit_log_resource ON audit_log (resource_type, resource_id, created_at, seq);
CREATE INDEX audit_log_integration ON audit_log (integration_id, created_at, seq);
)sql";

// Why a connection is in its status (e.g. the provider refused to refresh its token).
// (No index on executions by connection: every index costs each execute's record, and
// /connections/{id}/status reads one day of its workspace's records through the existing one.)
const char* const kStatusReasonSql = R"sql(
ALTER TABLE connections ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';
)sql";

// The user a connection of a per-user integration belongs to, and the fields its headers'
// ${user.*} variables expand to.
const char* const kConnectionUserSql = R"sql(
ALTER TABLE connections ADD COLUMN user_json TEXT NOT NULL DEFAULT '{}';
)sql";

// Events, outbound webhooks and their deliveries (the outbox). Events keep no foreign keys,
// like executions: the log outlives what it names. seq orders them for the dispatcher; the
// partial index makes "what is left to dispatch" cheap however long the log grows.
// Deliveries go with their webhook. Due times and leases are unix milliseconds (retry delays
// may be fractions of a second, and integers compare the same in both dialects). A delivery
// is unique per (webhook, event), which makes queueing an event twice harmless. On
// PostgreSQL the claim is UPDATE ... WHERE id IN (SELECT id ... FOR UPDATE SKIP LOCKED), so
// several nodes can share the outbox; the due index serves both. The delivery log pages in
// insertion order by SQLite's implicit rowid; PostgreSQL gets an identity column of that name.
const char* const kEventsSqlite = R"sql(
CREATE TABLE events (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT NOT NULL UNIQUE,
  workspace_id  TEXT NOT NULL,
  project_id    TEXT NOT NULL,
  type          TEXT NOT NULL,
  source        TEXT NOT NULL,
  external_id   TEXT NOT NULL,
  entity        TEXT NOT NULL,
  data          TEXT NOT NULL,
  occurred_at   TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  dispatched    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_undispatched ON events (seq) WHERE dispatched = 0;
CREATE INDEX events_workspace ON events (workspace_id, created_at);
CREATE TABLE webhooks (
  id                    TEXT PRIMARY KEY,
  workspace_id          TEXT NOT NULL REFERENCES workspaces(id),
  project_id            TEXT,
  name                  TEXT NOT NULL,
  description           TEXT NOT NULL,
  url                   TEXT NOT NULL,
  events                TEXT NOT NULL,
  table_id              TEXT,
  sealed_headers        TEXT,
  sealed_secret         TEXT NOT NULL,
  active                INTEGER NOT NULL,
  max_retries           INTEGER NOT NULL,
  retry_delay_ms        INTEGER NOT NULL,
  exponential_backoff   INTEGER NOT NULL,
  consecutive_failures  INTEGER NOT NULL DEFAULT 0,
  disabled_reason       TEXT NOT NULL DEFAULT '',
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL
);
CREATE INDEX webhooks_workspace ON webhooks (workspace_id, created_at);
CREATE TABLE webhook_deliveries (
  id                TEXT PRIMARY KEY,
  webhook_id        TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  event_id          TEXT NOT NULL,
  event_type        TEXT NOT NULL,
  payload           TEXT NOT NULL,
  status            TEXT NOT NULL,
  attempts          INTEGER NOT NULL DEFAULT 0,
  next_attempt_at   INTEGER NOT NULL,
  response_code     INTEGER,
  response_body     TEXT NOT NULL DEFAULT '',
  response_time_ms  INTEGER,
  delivered_at      TEXT,
  last_error        TEXT NOT NULL DEFAULT '',
  leased_by         TEXT NOT NULL DEFAULT '',
  lease_until       INTEGER NOT NULL DEFAULT 0,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
  WHERE status IN ('pending', 'retrying');
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, created_at);
)sql";

const char* const kEventsPostgres = R"sql(
CREATE TABLE events (
  seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id            TEXT NOT NULL UNIQUE,
  workspace_id  TEXT NOT NULL,
  project_id    TEXT NOT NULL,
  type          TEXT NOT NULL,
  source        TEXT NOT NULL,
  external_id   TEXT NOT NULL,
  entity        TEXT NOT NULL,
  data          TEXT NOT NULL,
  occurred_at   TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  dispatched    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_undispatched ON events (seq) WHERE dispatched = 0;
CREATE INDEX events_workspace ON events (workspace_id, created_at);
CREATE TABLE webhooks (
  id                    TEXT PRIMARY KEY,
  workspace_id          TEXT NOT NULL REFERENCES workspaces(id),
  project_id            TEXT,
  name                  TEXT NOT NULL,
  description           TEXT NOT NULL,
  url                   TEXT NOT NULL,
  events                TEXT NOT NULL,
  table_id              TEXT,
  sealed_headers        TEXT,
  sealed_secret         TEXT NOT NULL,
  active                INTEGER NOT NULL,
  max_retries           BIGINT NOT NULL,
  retry_delay_ms        BIGINT NOT NULL,
  exponential_backoff   INTEGER NOT NULL,
  consecutive_failures  BIGINT NOT NULL DEFAULT 0,
  disabled_reason       TEXT NOT NULL DEFAULT '',
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL
);
CREATE INDEX webhooks_workspace ON webhooks (workspace_id, created_at);
CREATE TABLE webhook_deliveries (
  rowid             BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id                TEXT PRIMARY KEY,
  webhook_id        TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  event_id          TEXT NOT NULL,
  event_type        TEXT NOT NULL,
  payload           TEXT NOT NULL,
  status            TEXT NOT NULL,
  attempts          BIGINT NOT NULL DEFAULT 0,
  next_attempt_at   BIGINT NOT NULL,
  response_code     BIGINT,
  response_body     TEXT NOT NULL DEFAULT '',
  response_time_ms  BIGINT,
  delivered_at      TEXT,
  last_error        TEXT NOT NULL DEFAULT '',
  leased_by         TEXT NOT NULL DEFAULT '',
  lease_until       BIGINT NOT NULL DEFAULT 0,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
  WHERE status IN ('pending', 'retrying');
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, created_at);
)sql";

// Subscriptions to provider triggers. Polling and renewal are durable work claimed with a
// lease (leased_by, lease_until), so a crashed node's subscriptions are taken over when the
// lease runs out. trigger_seen remembers which provider items each subscription already
// turned into events, so a re-polled or re-sent item is dropped.
const char* const kTriggersSql = R"sql(
CREATE TABLE trigger_subscriptions (
  id                    TEXT PRIMARY KEY,
  workspace_id          TEXT NOT NULL,
  project_id            TEXT NOT NULL,
  connection_id         TEXT NOT NULL,
  provider              TEXT NOT NULL,
  trigger_slug          TEXT NOT NULL,
  kind                  TEXT NOT NULL,
  name                  TEXT NOT NULL,
  interval_seconds      INTEGER NOT NULL,
  config                TEXT NOT NULL,
  sealed_secrets        TEXT,
  state                 TEXT NOT NULL,
  status                TEXT NOT NULL,
  status_reason         TEXT NOT NULL,
  next_run_at           TEXT NOT NULL,
  expires_at            TEXT NOT NULL,
  last_run_at           TEXT NOT NULL,
  consecutive_failures  INTEGER NOT NULL,
  leased_by             TEXT NOT NULL,
  lease_until           TEXT NOT NULL,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL
);
CREATE INDEX trigger_subscriptions_workspace ON trigger_subscriptions (workspace_id, created_at);
CREATE INDEX trigger_subscriptions_due ON trigger_subscriptions (status, next_run_at);
CREATE TABLE trigger_seen (
  subscription_id  TEXT NOT NULL,
  external_id      TEXT NOT NULL,
  seen_at          TEXT NOT NULL,
  PRIMARY KEY (subscription_id, external_id)
);
CREATE INDEX trigger_seen_age ON trigger_seen (subscription_id, seen_at);
)sql";

// Automations (an event type and conditions leading to an action) and their runs, the
// durable work queue between an event and its execution: one run per automation and event
// (the dispatcher may hand an event over twice), claimed with a lease like deliveries.
// Executions remember the event that caused them.
const char* const kAutomationsSql = R"sql(
ALTER TABLE executions ADD COLUMN event_id TEXT NOT NULL DEFAULT '';
CREATE TABLE automations (
  id             TEXT PRIMARY KEY,
  workspace_id   TEXT NOT NULL,
  project_id     TEXT NOT NULL,
  name           TEXT NOT NULL,
  description    TEXT NOT NULL,
  event_type     TEXT NOT NULL,
  conditions     TEXT NOT NULL,
  connection_id  TEXT NOT NULL,
  user_id        TEXT NOT NULL,
  action         TEXT NOT NULL,
  parameters     TEXT NOT NULL,
  mappings       TEXT NOT NULL,
  active         INTEGER NOT NULL,
  last_run_at    TEXT NOT NULL,
  last_status    TEXT NOT NULL,
  last_error     TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);
CREATE INDEX automations_workspace ON automations (workspace_id, created_at);
CREATE INDEX automations_event ON automations (workspace_id, event_type, active);
CREATE TABLE automation_runs (
  id               TEXT PRIMARY KEY,
  automation_id    TEXT NOT NULL,
  event_id         TEXT NOT NULL,
  workspace_id     TEXT NOT NULL,
  status           TEXT NOT NULL,
  attempts         INTEGER NOT NULL,
  next_attempt_at  TEXT NOT NULL,
  execution_id     TEXT NOT NULL,
  error_code       TEXT NOT NULL,
  error_message    TEXT NOT NULL,
  leased_by        TEXT NOT NULL,
  lease_until      TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  finished_at      TEXT NOT NULL,
  UNIQUE (automation_id, event_id)
);
CREATE INDEX automation_runs_due ON automation_runs (status, next_attempt_at);
CREATE INDEX automation_runs_log ON automation_runs (automation_id, created_at);
CREATE INDEX automation_runs_event ON automation_runs (event_id, status);
)sql";

// Events: a producer that repeats a POST (same workspace, source and external_id) gets the
// event it already stored, enforced by a unique index so two racing repeats cannot both
// insert. Events stored before this index may repeat an external_id: all but the first lose
// it (they stay, unlinked), or the index could not be built. Retention deletes by age, so
// both logs get an index on created_at.
const char* const kEventRetentionSql = R"sql(
UPDATE events SET external_id = '' WHERE external_id <> '' AND seq NOT IN
  (SELECT MIN(seq) FROM events WHERE external_id <> '' GROUP BY workspace_id, source, external_id);
CREATE UNIQUE INDEX events_external ON events (workspace_id, source, external_id) WHERE external_id <> '';
CREATE INDEX events_age ON events (created_at);
CREATE INDEX webhook_deliveries_age ON webhook_deliveries (created_at);
)sql";

// Several nodes on one database: change_feed carries cache invalidations between nodes
// (auth/change_feed, app/change_watcher), rate_buckets the shared token buckets of API keys
// (auth/shared_rate_limiter). The dialects differ only in how seq is assigned (AUTOINCREMENT,
// an identity column) and in the name of the double type. Feed rows are pruned by age.
const char* const kMultiNodeSqlite = R"sql(
CREATE TABLE change_feed (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  topic       TEXT NOT NULL,
  key         TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX change_feed_age ON change_feed (created_at);
CREATE TABLE rate_buckets (
  key_id      TEXT PRIMARY KEY,
  tokens      REAL NOT NULL,
  updated_ms  INTEGER NOT NULL
);
)sql";

const char* const kMultiNodePostgres = R"sql(
CREATE TABLE change_feed (
  seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic       TEXT NOT NULL,
  key         TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE INDEX change_feed_age ON change_feed (created_at);
CREATE TABLE rate_buckets (
  key_id      TEXT PRIMARY KEY,
  tokens      DOUBLE PRECISION NOT NULL,
  updated_ms  BIGINT NOT NULL
);
)sql";

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {
      {1, "workspaces, projects, api keys, connections, executions", kInitialSqlite, kInitialPostgres},
      {2, "integrations", kIntegrationsSqlite, kIntegrationsPostgres},
      {3, "oauth states", kOAuthStatesSqlite, kOAuthStatesPostgres},
      {4, "audit log", kAuditSqlite, kAuditPostgres},
      {5, "connection status reason", kStatusReasonSql, kStatusReasonSql},
      {6, "connection user", kConnectionUserSql, kConnectionUserSql},
      {7, "events, webhooks, webhook deliveries", kEventsSqlite, kEventsPostgres},
      {8, "trigger subscriptions", kTriggersSql, kTriggersSql},
      {9, "automations", kAutomationsSql, kAutomationsSql},
      {10, "event external ids unique, event and delivery age indexes", kEventRetentionSql,
       kEventRetentionSql},
      {11, "change feed and shared rate-limit buckets (several nodes)", kMultiNodeSqlite, kMultiNodePostgres},
  };
  return all;
}

int latest_schema_version() { return migrations().back().version; }

}  // namespace plugboard::store

// Repository interfaces, one per aggregate. Callers (services) depend on these only; each
// is implemented once over the dialect-neutral Db (sql_db.hpp) for SQLite and PostgreSQL.
// All methods are thread-safe. Failures of the database itself throw store::StoreError.
#pragma once

#include "store/event_records.hpp"
#include "store/records.hpp"

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace plugboard::store {

struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Thrown by create/update when a unique constraint would be broken (maps to 409 conflict).
struct ConflictError : StoreError {
  using StoreError::StoreError;
};

// Thrown by update when no row has the record's id (maps to 404). Lookups return nullopt and
// removals return false instead.
struct NotFoundError : StoreError {
  using StoreError::StoreError;
};

struct Page {
  std::int64_t limit = 50;
  std::int64_t offset = 0;
};

class WorkspaceRepository {
 public:
  virtual ~WorkspaceRepository() = default;
  virtual void create(const Workspace& w) = 0;  // ConflictError on a duplicate id or name
  virtual std::optional<Workspace> get(const std::string& id) = 0;
  virtual std::optional<Workspace> find_by_name(const std::string& name) = 0;
  virtual std::vector<Workspace> list(const Page& page) = 0;
};

class ProjectRepository {
 public:
  virtual ~ProjectRepository() = default;
  virtual void create(const Project& p) = 0;  // ConflictError on duplicate name in workspace
  virtual std::optional<Project> get(const std::string& id) = 0;
  virtual std::optional<Project> find_by_name(const std::string& workspace_id, const std::string& name) = 0;
  virtual std::vector<Project> list(const std::string& workspace_id, const Page& page) = 0;
  virtual std::int64_t count(const std::string& workspace_id) = 0;
  virtual bool remove(const std::string& id) = 0;
};

class ApiKeyRepository {
 public:
  virtual ~ApiKeyRepository() = default;
  virtual void create(const ApiKey& k) = 0;
  virtual std::optional<ApiKey> get(const std::string& id) = 0;
  virtual std::optional<ApiKey> find_by_hash(const std::string& hash) = 0;
  virtual std::vector<ApiKey> list(const std::string& workspace_id, const Page& page) = 0;
  virtual std::int64_t count(const std::string& workspace_id) = 0;
  virtual bool revoke(const std::string& id) = 0;
  // Batched from the request path: records when each key was last used.
  virtual void touch(const std::vector<std::pair<std::string, std::string>>& id_and_time) = 0;
};

// One sealed column of one row (Vault::seal output), for re-sealing under a new master key.
struct SealedField {
  std::string id;      // the row's id
  std::string column;  // e.g. "sealed_credentials"
  std::string value;
};

// Sets column of row id to value, but only while it still holds expected (compare-and-swap):
// a value changed since it was read is left alone, never overwritten with stale plaintext.
struct SealedFieldUpdate {
  std::string id;
  std::string column;
  std::string expected;
  std::string value;
};

struct ConnectionFilter {
  std::string workspace_id;  // required: tenancy boundary
  std::optional<std::string> project_id;
  std::optional<std::string> integration_id;  // matches integration_id or provider
  std::optional<std::string> status;
  std::vector<std::string> project_ids{};  // when not empty: only connections of these projects
};

class ConnectionRepository {
 public:
  virtual ~ConnectionRepository() = default;
  virtual void create(const Connection& c) = 0;
  virtual std::optional<Connection> get(const std::string& id) = 0;
  virtual std::vector<Connection> list(const ConnectionFilter& filter, const Page& page) = 0;
  virtual std::int64_t count(const ConnectionFilter& filter) = 0;
  virtual void update(const Connection& c) = 0;  // every field but id and created_at
  virtual bool remove(const std::string& id) = 0;
  // Master key rotation: sealed credentials of up to `limit` connections with id > after_id,
  // in id order (keyset pages over every workspace).
  virtual std::vector<SealedField> list_sealed(const std::string& after_id, std::int64_t limit) = 0;
  // One transaction; returns how many fields were replaced (the rest had changed meanwhile).
  // Leaves updated_at alone: the credentials themselves did not change.
  virtual std::int64_t replace_sealed(const std::vector<SealedFieldUpdate>& updates) = 0;
};

struct IntegrationFilter {
  std::string workspace_id;
  std::optional<std::string> q;  // substring of name or description, case-insensitive
  std::optional<bool> sandbox;
  std::optional<std::string> type;
};

class IntegrationRepository {
 public:
  virtual ~IntegrationRepository() = default;
  virtual void create(
      const Integration& i) = 0;  // ConflictError on a duplicate name or slug in the workspace
  virtual std::optional<Integration> get(const std::string& id) = 0;
  virtual std::optional<Integration> find_by_slug(const std::string& workspace_id,
                                                  const std::string& slug) = 0;
  virtual std::vector<Integration> list(const IntegrationFilter& filter, const Page& page) = 0;
  virtual std::int64_t count(const IntegrationFilter& filter) = 0;
  virtual void update(const Integration& i) = 0;  // ConflictError on a duplicate name; NotFoundError
  // Removes the integration and its connections in one transaction.
  virtual bool remove_with_connections(const std::string& id) = 0;
  virtual std::vector<ErrorSummary> error_summary(const std::string& id) = 0;
  // Master key rotation: the sealed client secret, API key and headers of up to `limit`
  // integrations with id > after_id, in id order, one field per non-null column.
  virtual std::vector<SealedField> list_sealed(const std::string& after_id, std::int64_t limit) = 0;
  // As ConnectionRepository::replace_sealed.
  virtual std::int64_t replace_sealed(const std::vector<SealedFieldUpdate>& updates) = 0;
};

// Filters of the execution log (/api/v2/executions); unset members do not filter.
struct ExecutionFilter {
  std::string workspace_id;
  std::vector<std::string> project_ids;  // empty: every project
  std::optional<std::string> action, status, connection_id, provider, integration_id, event_id;
  std::optional<std::string> since, until;  // ISO 8601, inclusive
};

// Where a page of the log ended: the last record's started_at and id.
struct ExecutionPosition {
  std::string started_at;
  std::string id;
};

struct ProviderUsage {
  std::string provider;
  std::int64_t total = 0;
  std::int64_t errors = 0;
  std::int64_t total_duration_ms = 0;
  std::int64_t payload_bytes = 0;  // parameters and results as logged (capped)
  std::string last_at;
};

class ExecutionRepository {
 public:
  virtual ~ExecutionRepository() = default;
  // One transaction for the whole batch.
  virtual void insert_batch(const std::vector<Execution>& batch) = 0;
  virtual std::optional<Execution> get(const std::string& id) = 0;
  virtual std::vector<Execution> list_recent(const std::string& workspace_id, std::int64_t limit) = 0;
  // Executions of one connection since a time (ISO 8601): how many, how many failed, the last one.
  struct Usage {
    std::int64_t total = 0;
    std::int64_t errors = 0;
    std::int64_t total_duration_ms = 0;
    std::string last_at;
  };
  virtual Usage connection_usage(const std::string& connection_id, const std::string& since) = 0;

  // One workspace's log, newest first (started_at, then id), after a position when paging.
  virtual std::vector<Execution> list(const ExecutionFilter& filter,
                                      const std::optional<ExecutionPosition>& after, std::int64_t limit) = 0;
  // Per provider, over [since, until] (ISO 8601): counts, durations, logged payload bytes, last time.
  virtual std::vector<ProviderUsage> usage_by_provider(const std::string& workspace_id,
                                                       const std::string& since,
                                                       const std::string& until) = 0;
  // Retention: deletes up to `limit` records that started before `before`; returns how many.
  virtual std::int64_t prune_before(const std::string& before, std::int64_t limit) = 0;
};

// An OAuth2 authorization in flight (see auth/oauth2_state.hpp). Times are ISO 8601 UTC.
struct OAuthState {
  std::string id;
  std::string payload;  // JSON, opaque to the store
  std::string expires_at;
  std::optional<std::string> consumed_at;
  std::string created_at;
};

class OAuthStateRepository {
 public:
  virtual ~OAuthStateRepository() = default;
  virtual void create(const OAuthState& s) = 0;  // ConflictError on a duplicate id
  // Marks the state consumed at `now` and returns it, only if it exists, was not consumed
  // and expires after `now`; nullopt otherwise. Of concurrent takes of one id, one wins.
  virtual std::optional<OAuthState> take(const std::string& id, const std::string& now) = 0;
  virtual std::optional<OAuthState> get(const std::string& id) = 0;
  // Removes states that expired before `cutoff`, consumed or not; returns how many.
  virtual std::int64_t prune(const std::string& cutoff) = 0;
};

// Audit log filters; every set field must match. Times are ISO 8601 UTC as stored.
struct AuditFilter {
  std::string workspace_id;  // required: tenancy boundary
  std::optional<std::string> resource_type{};
  std::optional<std::string> resource_id{};
  std::optional<std::string> integration_id{};  // the integration's own entries and its resources'
  std::optional<std::string> action{};
  std::optional<std::string> since{};  // created_at >= since
  std::optional<std::string> until{};  // created_at <= until
};

// Where a page of the audit log ended: its last entry's created_at and seq.
struct AuditPosition {
  std::string created_at;
  std::int64_t seq = 0;
};

class AuditRepository {
 public:
  virtual ~AuditRepository() = default;
  virtual void append(const AuditEntry& e) = 0;  // e.seq is ignored and assigned by the store
  // Newest first (created_at, then seq); only entries after `after` in that order.
  virtual std::vector<AuditEntry> list(const AuditFilter& filter, const std::optional<AuditPosition>& after,
                                       std::int64_t limit) = 0;
};

struct TriggerFilter {
  std::string workspace_id;  // required: tenancy boundary
  std::optional<std::string> project_id{};
  std::optional<std::string> connection_id{};
  std::optional<std::string> provider{};
  std::optional<std::string> status{};
  std::vector<std::string> project_ids{};  // when not empty: only these projects
};

// How a node's turn at a subscription ended; written only while the node still holds the lease.
struct TriggerRunOutcome {
  std::optional<std::string> state_json;  // nullopt: leave the state as it is
  std::vector<std::string> seen_ids;      // provider items now turned into events
  std::string next_run_at;
  std::string expires_at;
  std::string last_run_at;
  std::int64_t consecutive_failures = 0;
  std::string status;
  std::string status_reason;
  std::string seen_cutoff;  // forget seen items older than this (ISO 8601); "" keeps all
};

class TriggerRepository {
 public:
  virtual ~TriggerRepository() = default;
  virtual void create(const TriggerSubscription& t) = 0;
  virtual std::optional<TriggerSubscription> get(const std::string& id) = 0;
  virtual std::vector<TriggerSubscription> list(const TriggerFilter& filter, const Page& page) = 0;
  virtual std::int64_t count(const TriggerFilter& filter) = 0;
  // Name, interval, config, secrets, status and reason, state, next_run_at, expires_at,
  // consecutive_failures, updated_at.
  virtual void update(const TriggerSubscription& t) = 0;
  virtual bool remove(const std::string& id) = 0;  // its seen items too

  // Leases up to `limit` active subscriptions whose next_run_at is due (<= now) and whose
  // lease is free or ran out, for `node` until `lease_until`; of concurrent claims one wins.
  virtual std::vector<TriggerSubscription> claim_due(const std::string& now, const std::string& node,
                                                     const std::string& lease_until, std::int64_t limit) = 0;
  // Of `ids`, those the subscription has not turned into events yet.
  virtual std::vector<std::string> unseen(const std::string& id, const std::vector<std::string>& ids) = 0;
  // Records the outcome and frees the lease, in one transaction, if `node` still holds it;
  // false when it did not. With node "" (an inbound webhook, which takes no lease) only the
  // state (when set), seen ids and last_run_at are written, leaving the schedule alone.
  virtual bool finish(const std::string& id, const std::string& node, const TriggerRunOutcome& outcome) = 0;
  // Master key rotation, as ConnectionRepository's (the subscriptions' sealed secrets).
  virtual std::vector<SealedField> list_sealed(const std::string& after_id, std::int64_t limit) = 0;
  virtual std::int64_t replace_sealed(const std::vector<SealedFieldUpdate>& updates) = 0;
};

class AutomationRepository {
 public:
  virtual ~AutomationRepository() = default;
  virtual void create(const Automation& a) = 0;
  virtual std::optional<Automation> get(const std::string& id) = 0;
  // Of one workspace, optionally narrowed to projects (empty: all), oldest first.
  virtual std::vector<Automation> list(const std::string& workspace_id,
                                       const std::vector<std::string>& project_ids, const Page& page) = 0;
  virtual std::int64_t count(const std::string& workspace_id,
                             const std::vector<std::string>& project_ids) = 0;
  virtual void update(const Automation& a) = 0;    // NotFoundError
  virtual bool remove(const std::string& id) = 0;  // its runs too
  // The active automations of a workspace listening for an event type.
  virtual std::vector<Automation> listening(const std::string& workspace_id,
                                            const std::string& event_type) = 0;
  // Records how the latest run ended.
  virtual void record_outcome(const std::string& id, const std::string& at, const std::string& status,
                              const std::string& error) = 0;

  // Queues a run unless this automation already has one for this event; true when queued.
  virtual bool enqueue(const AutomationRun& run) = 0;
  // Leases up to `limit` runs that are pending or retrying and due, as ClaimDue elsewhere.
  virtual std::vector<AutomationRun> claim_due(const std::string& now, const std::string& node,
                                               const std::string& lease_until, std::int64_t limit) = 0;
  // Writes a run's outcome and frees its lease if `node` still holds it.
  virtual bool finish(const AutomationRun& run, const std::string& node) = 0;
  // Newest first.
  virtual std::vector<AutomationRun> runs(const std::string& automation_id, std::int64_t limit) = 0;
};

// Events (events/event.hpp), stored before anyone hears of them and handed on in seq order.
class EventRepository {
 public:
  virtual ~EventRepository() = default;
  // Assigns seq; ConflictError on a duplicate id.
  virtual void append(const EventRecord& e) = 0;
  virtual std::optional<EventRecord> get(const std::string& id) = 0;
  // The event a producer stored under its own id (external_id is not empty).
  virtual std::optional<EventRecord> find_external(const std::string& workspace_id, const std::string& source,
                                                   const std::string& external_id) = 0;
  // Up to `limit` events not yet dispatched, oldest (lowest seq) first.
  virtual std::vector<EventRecord> undispatched(std::int64_t limit) = 0;
  virtual void mark_dispatched(const std::vector<std::int64_t>& seqs) = 0;
  // Retention: deletes up to `limit` dispatched events created before `cutoff` (ISO 8601),
  // oldest first; returns how many. Undispatched events stay whatever their age.
  virtual std::int64_t prune(const std::string& cutoff, std::int64_t limit) = 0;
};

struct WebhookFilter {
  std::string workspace_id;  // required: tenancy boundary
  std::optional<std::string> project_id{};
  std::vector<std::string> project_ids{};  // when not empty: only webhooks of these projects
  std::vector<std::string> table_ids{};    // when not empty: table_id (JSON text) is one of these
  std::optional<bool> active{};
  std::optional<std::string> event{};  // subscribed to this type (or to every event)
};

class WebhookRepository {
 public:
  virtual ~WebhookRepository() = default;
  virtual void create(const WebhookRecord& w) = 0;
  virtual std::optional<WebhookRecord> get(const std::string& id) = 0;
  virtual std::vector<WebhookRecord> list(const WebhookFilter& filter, const Page& page) = 0;
  virtual std::int64_t count(const WebhookFilter& filter) = 0;
  // Every field but id, workspace_id and created_at; NotFoundError.
  virtual void update(const WebhookRecord& w) = 0;
  virtual bool remove(const std::string& id) = 0;  // its deliveries go with it
  // The active webhooks of a workspace: what an event is matched against.
  virtual std::vector<WebhookRecord> list_active(const std::string& workspace_id) = 0;
  // A delivery succeeded: the failure streak ends.
  virtual void record_success(const std::string& id) = 0;
  // A delivery failed for good: the streak grows, and at `threshold` the webhook is switched
  // off with `reason`, in one statement. True when this call switched it off.
  virtual bool record_failure(const std::string& id, std::int64_t threshold, const std::string& reason,
                              const std::string& now) = 0;
  // Master key rotation, as ConnectionRepository's.
  virtual std::vector<SealedField> list_sealed(const std::string& after_id, std::int64_t limit) = 0;
  virtual std::int64_t replace_sealed(const std::vector<SealedFieldUpdate>& updates) = 0;
};

// Where a page of the delivery log ended: it goes on with older (created_at, seq) pairs.
struct DeliveryPosition {
  std::string created_at;
  std::int64_t seq = 0;
};

struct DeliveryFilter {
  std::string webhook_id;
  std::optional<std::string> status{};
  std::optional<std::string> since{};       // created_at >= since (ISO 8601)
  std::optional<std::string> until{};       // created_at <= until
  std::optional<DeliveryPosition> after{};  // list only: the page after this position
};

// The outbox. Any number of workers (on any number of nodes, later) claim due rows with a
// lease; a lease that expires (its holder died) makes the row claimable again.
class DeliveryRepository {
 public:
  virtual ~DeliveryRepository() = default;
  // Inserts the delivery as given; false when (webhook_id, event_id) is already queued, which
  // makes a repeated enqueue harmless.
  virtual bool enqueue(const WebhookDelivery& d) = 0;
  // enqueue for several deliveries in one transaction (one event's fan-out: one commit, one
  // fsync, instead of one per webhook). Returns how many were new.
  virtual std::int64_t enqueue_all(const std::vector<WebhookDelivery>& ds) = 0;
  virtual std::optional<WebhookDelivery> get(const std::string& id) = 0;
  // Newest first (created_at, then seq, descending).
  virtual std::vector<WebhookDelivery> list(const DeliveryFilter& filter, std::int64_t limit) = 0;
  // How many match, the position ignored.
  virtual std::int64_t count(const DeliveryFilter& filter) = 0;
  // Leases up to `limit` pending or retrying deliveries that are due at now_ms and not leased
  // (or whose lease ran out) to `node` until now_ms + lease_ms, in one transaction, and
  // returns them. Of concurrent claims, each row goes to one.
  virtual std::vector<WebhookDelivery> claim(const std::string& node, std::int64_t now_ms,
                                             std::int64_t lease_ms, std::int64_t limit) = 0;
  // When the earliest pending or retrying delivery is due (unix ms), leased or not.
  virtual std::optional<std::int64_t> next_due_ms() = 0;
  // Writes an attempt's outcome (status, attempts, next attempt, response fields) and drops
  // the lease, but only while `node` still holds it; false when the lease was lost.
  virtual bool finish(const WebhookDelivery& d, const std::string& node) = 0;
  // A failed delivery back to pending, due at now_ms, with a fresh retry budget (attempts 0).
  // False when it does not exist or has not failed.
  virtual bool requeue(const std::string& id, std::int64_t now_ms, const std::string& now) = 0;
  // Retention: deletes up to `limit` finished (success or failed) deliveries created before
  // `cutoff` (ISO 8601); returns how many. Pending and retrying ones stay whatever their age.
  virtual std::int64_t prune(const std::string& cutoff, std::int64_t limit) = 0;
  // How many deliveries are in each status (pending, retrying: the outbox; success, failed).
  virtual std::vector<std::pair<std::string, std::int64_t>> count_by_status() = 0;
};

// One change another node must hear of (a revoked key, a changed connection, ...): topic names
// the kind of record, key its id. Written by services right after the change; every node
// polls for rows newer than the last it saw and drops exactly those cache entries.
struct Change {
  std::int64_t seq = 0;
  std::string topic;
  std::string key;
};

class ChangeFeedRepository {
 public:
  virtual ~ChangeFeedRepository() = default;
  // Appends a change; returns its seq (increasing, possibly with gaps).
  virtual std::int64_t append(const std::string& topic, const std::string& key, const std::string& now) = 0;
  // The highest seq written so far; 0 when there is none.
  virtual std::int64_t latest() = 0;
  // Up to `limit` changes with seq > after, oldest first.
  virtual std::vector<Change> after(std::int64_t after, std::int64_t limit) = 0;
  // Deletes changes created before `cutoff` (ISO 8601); returns how many.
  virtual std::int64_t prune(const std::string& cutoff) = 0;
};

// A shared rate-limit bucket: tokens left at updated_ms (unix ms).
struct RateBucket {
  double tokens = 0;
  std::int64_t updated_ms = 0;
};

class RateBucketRepository {
 public:
  virtual ~RateBucketRepository() = default;
  // Reads the bucket of `key` (nullopt: none yet), hands it to `step`, and stores what step
  // returns, as one atomic read-modify-write across every node sharing the database.
  // step must be quick and must not touch the store. Returns what step returned.
  virtual RateBucket update(const std::string& key,
                            const std::function<RateBucket(const std::optional<RateBucket>&)>& step) = 0;
};

// The set of repositories of one backend, and its lifecycle.
class Store {
 public:
  virtual ~Store() = default;
  virtual WorkspaceRepository& workspaces() = 0;
  virtual ProjectRepository& projects() = 0;
  virtual ApiKeyRepository& api_keys() = 0;
  virtual ConnectionRepository& connections() = 0;
  virtual ExecutionRepository& executions() = 0;
  virtual IntegrationRepository& integrations() = 0;
  virtual OAuthStateRepository& oauth_states() = 0;
  virtual AuditRepository& audit() = 0;
  virtual TriggerRepository& triggers() = 0;
  virtual AutomationRepository& automations() = 0;
  virtual EventRepository& events() = 0;
  virtual WebhookRepository& webhooks() = 0;
  virtual DeliveryRepository& deliveries() = 0;
  virtual ChangeFeedRepository& change_feed() = 0;
  virtual RateBucketRepository& rate_buckets() = 0;
  virtual int schema_version() = 0;
};

}  // namespace plugboard::store

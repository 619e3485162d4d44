// The repository interfaces over one Db, for SQLite and PostgreSQL alike (see sql_db.hpp);
// callers see only repositories.hpp. Each shares the store's Db, which must outlive it.
#pragma once

#include "store/repositories.hpp"
#include "store/sql_db.hpp"

namespace plugboard::store {

class SqlWorkspaceRepository final : public WorkspaceRepository {
 public:
  explicit SqlWorkspaceRepository(Db& db) : db_(db) {}
  void create(const Workspace& w) override;
  std::optional<Workspace> get(const std::string& id) override;
  std::optional<Workspace> find_by_name(const std::string& name) override;
  std::vector<Workspace> list(const Page& page) override;

 private:
  Db& db_;
};

class SqlProjectRepository final : public ProjectRepository {
 public:
  explicit SqlProjectRepository(Db& db) : db_(db) {}
  void create(const Project& p) override;
  std::optional<Project> get(const std::string& id) override;
  std::optional<Project> find_by_name(const std::string& workspace_id, const std::string& name) override;
  std::vector<Project> list(const std::string& workspace_id, const Page& page) override;
  std::int64_t count(const std::string& workspace_id) override;
  bool remove(const std::string& id) override;

 private:
  Db& db_;
};

class SqlApiKeyRepository final : public ApiKeyRepository {
 public:
  explicit SqlApiKeyRepository(Db& db) : db_(db) {}
  void create(const ApiKey& k) override;
  std::optional<ApiKey> get(const std::string& id) override;
  std::optional<ApiKey> find_by_hash(const std::string& hash) override;
  std::vector<ApiKey> list(const std::string& workspace_id, const Page& page) override;
  std::int64_t count(const std::string& workspace_id) override;
  bool revoke(const std::string& id) override;
  void touch(const std::vector<std::pair<std::string, std::string>>& id_and_time) override;

 private:
  Db& db_;
};

class SqlConnectionRepository final : public ConnectionRepository {
 public:
  explicit SqlConnectionRepository(Db& db) : db_(db) {}
  void create(const Connection& c) override;
  std::optional<Connection> get(const std::string& id) override;
  std::vector<Connection> list(const ConnectionFilter& filter, const Page& page) override;
  std::int64_t count(const ConnectionFilter& filter) override;
  void update(const Connection& c) override;
  bool remove(const std::string& id) override;
  std::vector<SealedField> list_sealed(const std::string& after_id, std::int64_t limit) override;
  std::int64_t replace_sealed(const std::vector<SealedFieldUpdate>& updates) override;

 private:
  Db& db_;
};

class SqlIntegrationRepository final : public IntegrationRepository {
 public:
  explicit SqlIntegrationRepository(Db& db) : db_(db) {}
  void create(const Integration& i) override;
  std::optional<Integration> get(const std::string& id) override;
  std::optional<Integration> find_by_slug(const std::string& workspace_id, const std::string& slug) override;
  std::vector<Integration> list(const IntegrationFilter& filter, const Page& page) override;
  std::int64_t count(const IntegrationFilter& filter) override;
  void update(const Integration& i) override;
  bool remove_with_connections(const std::string& id) override;
  std::vector<ErrorSummary> error_summary(const std::string& id) override;
  std::vector<SealedField> list_sealed(const std::string& after_id, std::int64_t limit) override;
  std::int64_t replace_sealed(const std::vector<SealedFieldUpdate>& updates) override;

 private:
  Db& db_;
};

class SqlExecutionRepository final : public ExecutionRepository {
 public:
  explicit SqlExecutionRepository(Db& db) : db_(db) {}
  void insert_batch(const std::vector<Execution>& batch) override;
  std::optional<Execution> get(const std::string& id) override;
  std::vector<Execution> list_recent(const std::string& workspace_id, std::int64_t limit) override;
  Usage connection_usage(const std::string& connection_id, const std::string& since) override;
  // In sql_execution_queries.cpp:
  std::vector<Execution> list(const ExecutionFilter& filter, const std::optional<ExecutionPosition>& after,
                              std::int64_t limit) override;
  std::vector<ProviderUsage> usage_by_provider(const std::string& workspace_id, const std::string& since,
                                               const std::string& until) override;
  std::int64_t prune_before(const std::string& before, std::int64_t limit) override;

 private:
  Db& db_;
};

}  // namespace plugboard::store

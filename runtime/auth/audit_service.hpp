// The audit log (seed 001 "Get Audit Log"): every create, update, delete and revoke of an
// integration, connection or API key is recorded with who did it, when, under which request,
// and the changed fields as {field: {old, new}}. Secrets never reach the log: values of
// secret-looking fields become "[REDACTED]" before anything is written.
//
// Callers describe a resource as a flat JSON object of its fields (audit_view below renders
// the stored records that way) and pass the view before and after the change:
//
//   auto before = auth::audit_view(connection);
//   ... change and save it ...
//   s.audit.record(ex.principal.get(), ex.request_id(), "update", "connection", c.id,
//                  before, auth::audit_view(updated));
//
// For create pass {} as old_values; for delete pass {} as new_values.
#pragma once

#include "auth/principal.hpp"
#include "store/repositories.hpp"

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plugboard::auth {

inline constexpr const char* kRedacted = "[REDACTED]";

// True when a field of this name may hold a secret: client secrets, API keys, tokens,
// passwords, credentials, private or signing keys, cookies, Authorization. Case and separators
// are ignored ("client_secret" == "clientSecret"). Names that only describe a secret (tokenUri,
// apiKeyName, apiKeyLocation, basicTokenAuth) are not secret. Errs towards redacting.
bool looks_secret(std::string_view field_name);

// The value of field `field_name` as it may be shown: "[REDACTED]" when the name looks secret
// (null stays null, so "no secret" vs "a secret" remains visible), every header value
// redacted when the field is "headers", and nested objects and arrays redacted field by field.
boost::json::value redact_secrets(std::string_view field_name, const boost::json::value& value);
// Every field of an object, as above.
boost::json::object redact_secrets(const boost::json::object& fields);

// {field: {old, new}} for an action, already redacted. create lists every field of new_values
// with "new" only; delete every field of old_values with "old" only (both leaving out null,
// "", [] and {}); any
// other action (update, revoke) the fields whose values differ, with both. Identity fields
// ("id", "workspaceId") are never listed. Values are compared before redaction, so a changed
// secret shows as {"old":"[REDACTED]","new":"[REDACTED]"}.
boost::json::object audit_changes(std::string_view action, const boost::json::object& old_values,
                                  const boost::json::object& new_values);

// Views of stored records for record(): their non-identity fields under the API's names, plus
// "workspaceId" (and "integrationId" where the resource belongs to an integration, which is
// how a connection's entries also appear under its integration's audit). Sealed secrets
// appear only as a fingerprint that changes when the secret does (redacted again on output).
// Pass an integration's decrypted headers (IntegrationService::headers) to audit header
// names; their values are fingerprinted here, never kept.
boost::json::object audit_view(const store::Integration& i,
                               const std::optional<boost::json::object>& headers = std::nullopt);
boost::json::object audit_view(const store::Connection& c);
boost::json::object audit_view(const store::ApiKey& k);  // never the key or its hash

// A page of the audit log; next_cursor is set when more entries follow.
struct AuditPage {
  std::vector<store::AuditEntry> entries;
  std::optional<std::string> next_cursor;
};

class AuditService {
 public:
  explicit AuditService(store::Store& store) : store_(store) {}

  // Writes one entry, synchronously. `who` is the calling key; nullptr means the system (no
  // key, e.g. an OAuth callback), and then the workspace is taken from the values'
  // "workspaceId". An update whose views do not differ writes nothing.
  //
  // Fails closed: if the entry cannot be written this throws ServiceError("internal") — the
  // request answers 500 — rather than let an unaudited change pass as a clean success. The
  // change itself was already committed (the audit log is a separate write), so the message
  // says so and the server log names the request; an operator sees the gap instead of the log
  // silently missing it.
  void record(const Principal* who, std::string request_id, std::string action, std::string resource_type,
              std::string resource_id, const boost::json::object& old_values,
              const boost::json::object& new_values);

  // Newest first. `cursor` is a next_cursor from an earlier page of the same filter
  // (validation_error "cursor" when it is not one); limit is 1..500.
  AuditPage list(const store::AuditFilter& filter, const std::optional<std::string>& cursor,
                 std::int64_t limit);

  // Seed 001's shape: {"id","timestamp","user","userKeyId","action","resourceType",
  // "resourceId","changes","requestId"}.
  static boost::json::object render(const store::AuditEntry& e);

 private:
  std::string actor_label(const Principal& who);

  store::Store& store_;
};

}  // namespace plugboard::auth

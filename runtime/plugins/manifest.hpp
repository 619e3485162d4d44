// A provider as its manifest declares it. Parsed and validated before any library code runs;
// the catalog is rendered from these alone.
#pragma once

#include "plugins/json_schema.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace plugboard::plugins {

// A manifest mistake, located: "slack.yaml:12: actions[0].parameters: ...".
struct ManifestError : std::runtime_error {
  ManifestError(std::string file, int line, std::string field, const std::string& message)
      : std::runtime_error(file + ":" + std::to_string(line) + ": " + field + ": " + message),
        file_(std::move(file)),
        line_(line),
        field_(std::move(field)) {}
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& field() const { return field_; }

 private:
  std::string file_;
  int line_;
  std::string field_;
};

struct CredentialField {
  std::string name;
  std::string description;
  bool secret = false;
  bool required = true;
};

// How credentials reach a request: header and query templates over the credential fields.
struct Injection {
  std::map<std::string, std::string> headers;
  std::map<std::string, std::string> query;
};

struct AuthType {
  std::string type;  // oauth2, api_key, basic, bearer, custom
  std::vector<CredentialField> fields;
  Injection inject;
  // oauth2 only
  std::string authorization_url;
  std::string token_url;
  std::string revocation_url;
  std::vector<std::string> scopes;
  // How the provider says an access token has expired: this status, and (when set) a body
  // containing this text. 401 by default; some APIs answer 200 or 403 with an error body.
  int expiry_status = 401;
  std::string expiry_body_contains;
};

struct RetryPolicy {
  std::vector<int> statuses{429};
  int max_attempts = 3;
  std::int64_t max_wait_ms = 10000;
};

struct Action {
  std::string slug;
  std::string name;
  std::string description;
  bool idempotent = false;
  std::shared_ptr<const Schema> parameters;  // compiled at load; never null
  std::shared_ptr<const Schema> output;      // may be null
};

struct Trigger {
  std::string slug;
  std::string name;
  std::string description;
  std::string kind;                      // webhook, polling
  std::string event;                     // the event type it emits; default "<provider>.<slug>"
  std::int64_t interval_seconds = 0;     // polling: how often (default 300)
  std::vector<std::string> secrets;      // subscription settings that are secrets (e.g. signing_secret)
  std::shared_ptr<const Schema> config;  // the subscription's settings; never null
  std::shared_ptr<const Schema> output;  // the event's data, for the catalog; may be null
};

struct Manifest {
  std::filesystem::path file;  // where it was read from
  int manifest_version = 1;
  std::string id;
  std::string name;
  std::string version;
  std::string description;
  std::string category;
  std::string icon;               // path relative to the manifest, may be empty
  std::filesystem::path library;  // absolute, resolved against the manifest's folder
  std::string sha256;             // lower-case hex, may be empty
  std::uint32_t abi_major = 0;
  std::uint32_t abi_minor = 0;
  bool reentrant = true;
  std::string base_url;
  std::vector<std::string> features;
  std::int64_t deadline_ms = 0;  // 0: the server's default
  std::vector<AuthType> auth;
  RetryPolicy retry;
  std::vector<Action> actions;
  std::vector<Trigger> triggers;

  const Action* find_action(std::string_view slug) const;
  const Trigger* find_trigger(std::string_view slug) const;
  const AuthType* find_auth(std::string_view type) const;
  bool requires_oauth() const;
};

// Reads and validates one manifest file. Throws ManifestError.
Manifest parse_manifest(const std::filesystem::path& file);
// Same, from text (the name is used in messages and to resolve relative paths).
Manifest parse_manifest_text(const std::string& text, const std::filesystem::path& file);

}  // namespace plugboard::plugins

#include "plugins/manifest.hpp"

#include "plugins/yaml_json.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace plugboard::plugins {
namespace {

// Walks a manifest's YAML, turning every mistake into a ManifestError with file and line.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& field, const std::string& message) const {
    int line = at.IsDefined() ? at.Mark().line + 1 : 0;
    throw ManifestError(file_, line, field, message);
  }

  // The key set of a mapping must be a subset of `known`: a typo is an error, not a default.
  void check_keys(const YAML::Node& map, const std::string& where,
                  std::initializer_list<const char*> known) const {
    for (const auto& kv : map) {
      const std::string& key = kv.first.Scalar();
      if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; }))
        fail(kv.first, join(where, key), "unknown field");
    }
  }

  YAML::Node require(const YAML::Node& map, const std::string& where, const char* key) const {
    YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) fail(map, join(where, key), "is required");
    return n;
  }

  std::string string(const YAML::Node& map, const std::string& where, const char* key, bool required,
                     const std::string& fallback = {}) const {
    YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) {
      if (required) fail(map, join(where, key), "is required");
      return fallback;
    }
    if (!n.IsScalar()) fail(n, join(where, key), "must be a string");
    return n.Scalar();
  }

  bool boolean(const YAML::Node& map, const std::string& where, const char* key, bool fallback) const {
    YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) return fallback;
    auto v = yaml_to_json(n);
    if (!v.is_bool()) fail(n, join(where, key), "must be true or false");
    return v.get_bool();
  }

  std::int64_t integer(const YAML::Node& map, const std::string& where, const char* key,
                       std::int64_t fallback, std::int64_t min, std::int64_t max) const {
    YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) return fallback;
    auto v = yaml_to_json(n);
    if (!v.is_int64() || v.get_int64() < min || v.get_int64() > max)
      fail(n, join(where, key),
           "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    return v.get_int64();
  }

  std::vector<std::string> strings(const YAML::Node& map, const std::string& where, const char* key) const {
    std::vector<std::string> out;
    YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) return out;
    if (!n.IsSequence()) fail(n, join(where, key), "must be a list of strings");
    for (const auto& item : n) {
      if (!item.IsScalar()) fail(item, join(where, key), "must be a list of strings");
      out.push_back(item.Scalar());
    }
    return out;
  }

  std::map<std::string, std::string> string_map(const YAML::Node& map, const std::string& where,
                                                const char* key) const {
    std::map<std::string, std::string> out;
    YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) return out;
    if (!n.IsMap()) fail(n, join(where, key), "must be a mapping of strings");
    for (const auto& kv : n) {
      if (!kv.second.IsScalar())
        fail(kv.second, join(where, key) + "." + kv.first.Scalar(), "must be a string");
      out[kv.first.Scalar()] = kv.second.Scalar();
    }
    return out;
  }

  std::shared_ptr<const Schema> schema(const YAML::Node& map, const std::string& where, const char* key,
                                       bool required) const {
    YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) {
      if (required) fail(map, join(where, key), "is required");
      return nullptr;
    }
    try {
      return std::make_shared<const Schema>(Schema::compile(yaml_to_json(n)));
    } catch (const std::exception& e) {
      fail(n, join(where, key), std::string("invalid JSON Schema: ") + e.what());
    }
  }

  static std::string join(const std::string& where, const std::string& key) {
    return where.empty() ? key : where + "." + key;
  }
  static std::string at(const std::string& where, std::size_t i) {
    return where + "[" + std::to_string(i) + "]";
  }

 private:
  std::string file_;
};

// Built on first use rather than at static initialisation, where a throw could not be caught.
const std::regex& provider_id_pattern() {
  static const std::regex re("^[a-z][a-z0-9_]{0,63}$");
  return re;
}
const std::regex& slug_pattern() {
  static const std::regex re("^[a-z][a-z0-9-]{0,63}$");
  return re;
}
const std::regex& semver_pattern() {
  static const std::regex re(R"(^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$)");
  return re;
}
const std::regex& hex64_pattern() {
  static const std::regex re("^[0-9a-f]{64}$");
  return re;
}
bool known_auth_type(const std::string& t) {
  return t == "oauth2" || t == "api_key" || t == "basic" || t == "bearer" || t == "custom";
}

AuthType read_auth(const Reader& r, const YAML::Node& n, const std::string& where) {
  if (!n.IsMap()) r.fail(n, where, "must be a mapping");
  r.check_keys(n, where,
               {"type", "fields", "inject", "authorization_url", "token_url", "revocation_url", "scopes",
                "description", "expiry"});
  AuthType a;
  a.type = r.string(n, where, "type", true);
  if (!known_auth_type(a.type))
    r.fail(n["type"], where + ".type",
           "unknown auth type '" + a.type + "' (oauth2, api_key, basic, bearer, custom)");
  if (YAML::Node fields = n["fields"]; fields.IsDefined()) {
    if (!fields.IsSequence()) r.fail(fields, where + ".fields", "must be a list");
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const std::string fw = Reader::at(where + ".fields", i);
      r.check_keys(fields[i], fw, {"name", "description", "secret", "required"});
      a.fields.push_back(
          {r.string(fields[i], fw, "name", true), r.string(fields[i], fw, "description", false),
           r.boolean(fields[i], fw, "secret", false), r.boolean(fields[i], fw, "required", true)});
    }
  }
  if (YAML::Node inject = n["inject"]; inject.IsDefined()) {
    r.check_keys(inject, where + ".inject", {"headers", "query"});
    a.inject.headers = r.string_map(inject, where + ".inject", "headers");
    a.inject.query = r.string_map(inject, where + ".inject", "query");
  }
  if (a.type == "oauth2") {
    a.authorization_url = r.string(n, where, "authorization_url", true);
    a.token_url = r.string(n, where, "token_url", true);
    a.revocation_url = r.string(n, where, "revocation_url", false);
    a.scopes = r.strings(n, where, "scopes");
    if (YAML::Node e = n["expiry"]; e.IsDefined() && !e.IsNull()) {
      r.check_keys(e, where + ".expiry", {"status", "body_contains"});
      a.expiry_status = static_cast<int>(r.integer(e, where + ".expiry", "status", 401, 200, 599));
      a.expiry_body_contains = r.string(e, where + ".expiry", "body_contains", false);
    }
  }
  return a;
}

Action read_action(const Reader& r, const YAML::Node& n, const std::string& where) {
  if (!n.IsMap()) r.fail(n, where, "must be a mapping");
  r.check_keys(n, where, {"slug", "name", "description", "idempotent", "parameters", "output"});
  Action a;
  a.slug = r.string(n, where, "slug", true);
  if (!std::regex_match(a.slug, slug_pattern()))
    r.fail(n["slug"], where + ".slug", "'" + a.slug + "' must match [a-z][a-z0-9-]*");
  a.name = r.string(n, where, "name", true);
  a.description = r.string(n, where, "description", true);
  a.idempotent = r.boolean(n, where, "idempotent", false);
  a.parameters = r.schema(n, where, "parameters", true);
  if (!a.parameters->source().is_object() ||
      a.parameters->source().as_object().if_contains("type") == nullptr ||
      *a.parameters->source().as_object().if_contains("type") != "object")
    r.fail(n["parameters"], where + ".parameters", "must be a schema of type object");
  a.output = r.schema(n, where, "output", false);
  return a;
}

Trigger read_trigger(const Reader& r, const YAML::Node& n, const std::string& where,
                     const std::string& provider) {
  if (!n.IsMap()) r.fail(n, where, "must be a mapping");
  r.check_keys(
      n, where,
      {"slug", "name", "description", "kind", "interval_seconds", "event", "config", "secrets", "output"});
  Trigger t;
  t.slug = r.string(n, where, "slug", true);
  if (!std::regex_match(t.slug, slug_pattern()))
    r.fail(n["slug"], where + ".slug", "'" + t.slug + "' must match [a-z][a-z0-9-]*");
  t.name = r.string(n, where, "name", true);
  t.description = r.string(n, where, "description", false);
  t.kind = r.string(n, where, "kind", true);
  if (t.kind != "webhook" && t.kind != "polling")
    r.fail(n["kind"], where + ".kind", "must be webhook or polling");
  t.event = r.string(n, where, "event", false, provider + "." + t.slug);
  if (t.kind == "polling")
    t.interval_seconds = r.integer(n, where, "interval_seconds", 300, 1, 86'400);
  else if (n["interval_seconds"].IsDefined())
    r.fail(n["interval_seconds"], where + ".interval_seconds", "applies only to polling triggers");
  t.secrets = r.strings(n, where, "secrets");
  t.config = r.schema(n, where, "config", false);
  if (!t.config)
    t.config = std::make_shared<const Schema>(Schema::compile(boost::json::parse(R"({"type":"object"})")));
  t.output = r.schema(n, where, "output", false);
  return t;
}

Manifest read_manifest(const Reader& r, const YAML::Node& root, const std::filesystem::path& file) {
  if (!root.IsMap()) r.fail(root, "", "a manifest must be a YAML mapping");
  r.check_keys(
      root, "",
      {"manifest_version", "id", "name", "version", "description", "category", "icon", "library", "sha256",
       "abi", "reentrant", "base_url", "features", "deadline_ms", "auth", "retry", "actions", "triggers"});
  Manifest m;
  m.file = file;
  m.manifest_version = static_cast<int>(r.integer(root, "", "manifest_version", 1, 1, 1));
  m.id = r.string(root, "", "id", true);
  if (!std::regex_match(m.id, provider_id_pattern()))
    r.fail(root["id"], "id", "'" + m.id + "' must match [a-z][a-z0-9_]* (at most 64 chars)");
  m.name = r.string(root, "", "name", true);
  m.version = r.string(root, "", "version", true);
  if (!std::regex_match(m.version, semver_pattern()))
    r.fail(root["version"], "version", "'" + m.version + "' is not a semantic version (1.2.3)");
  m.description = r.string(root, "", "description", true);
  m.category = r.string(root, "", "category", true);
  m.icon = r.string(root, "", "icon", false);
  std::filesystem::path lib = r.string(root, "", "library", true);
  m.library = lib.is_absolute() ? lib : file.parent_path() / lib;
  m.sha256 = r.string(root, "", "sha256", false);
  std::transform(m.sha256.begin(), m.sha256.end(), m.sha256.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!m.sha256.empty() && !std::regex_match(m.sha256, hex64_pattern()))
    r.fail(root["sha256"], "sha256", "must be 64 hex digits");

  YAML::Node abi = r.require(root, "", "abi");
  if (!abi.IsMap()) r.fail(abi, "abi", "must be {major: N, minor: N}");
  r.check_keys(abi, "abi", {"major", "minor"});
  r.require(abi, "abi", "major");
  m.abi_major = static_cast<std::uint32_t>(r.integer(abi, "abi", "major", 0, 0, 1000));
  m.abi_minor = static_cast<std::uint32_t>(r.integer(abi, "abi", "minor", 0, 0, 1000));

  m.reentrant = r.boolean(root, "", "reentrant", true);
  m.base_url = r.string(root, "", "base_url", false);
  if (!m.base_url.empty() && m.base_url.rfind("http://", 0) != 0 && m.base_url.rfind("https://", 0) != 0)
    r.fail(root["base_url"], "base_url", "must start with http:// or https://");
  m.features = r.strings(root, "", "features");
  m.deadline_ms = r.integer(root, "", "deadline_ms", 0, 100, 3'600'000);

  if (YAML::Node auth = root["auth"]; auth.IsDefined() && !auth.IsNull()) {
    if (!auth.IsSequence()) r.fail(auth, "auth", "must be a list of auth types");
    for (std::size_t i = 0; i < auth.size(); ++i) {
      m.auth.push_back(read_auth(r, auth[i], Reader::at("auth", i)));
      for (std::size_t j = 0; j + 1 < m.auth.size(); ++j)
        if (m.auth[j].type == m.auth.back().type)
          r.fail(auth[i], Reader::at("auth", i) + ".type", "duplicate auth type " + m.auth[j].type);
    }
  }
  if (YAML::Node retry = root["retry"]; retry.IsDefined() && !retry.IsNull()) {
    r.check_keys(retry, "retry", {"statuses", "max_attempts", "max_wait_ms"});
    if (YAML::Node st = retry["statuses"]; st.IsDefined()) {
      m.retry.statuses.clear();
      if (!st.IsSequence()) r.fail(st, "retry.statuses", "must be a list of HTTP statuses");
      for (const auto& s : st) {
        auto v = yaml_to_json(s);
        if (!v.is_int64() || v.get_int64() < 400 || v.get_int64() > 599)
          r.fail(s, "retry.statuses", "must be HTTP statuses from 400 to 599");
        m.retry.statuses.push_back(static_cast<int>(v.get_int64()));
      }
    }
    m.retry.max_attempts = static_cast<int>(r.integer(retry, "retry", "max_attempts", 3, 1, 10));
    m.retry.max_wait_ms = r.integer(retry, "retry", "max_wait_ms", 10000, 0, 600'000);
  }

  YAML::Node actions = r.require(root, "", "actions");
  if (!actions.IsSequence()) r.fail(actions, "actions", "must be a list");
  for (std::size_t i = 0; i < actions.size(); ++i) {
    Action a = read_action(r, actions[i], Reader::at("actions", i));
    if (m.find_action(a.slug) != nullptr)
      r.fail(actions[i]["slug"], Reader::at("actions", i) + ".slug", "duplicate action " + a.slug);
    m.actions.push_back(std::move(a));
  }
  if (YAML::Node triggers = root["triggers"]; triggers.IsDefined() && !triggers.IsNull()) {
    if (!triggers.IsSequence()) r.fail(triggers, "triggers", "must be a list");
    for (std::size_t i = 0; i < triggers.size(); ++i) {
      Trigger t = read_trigger(r, triggers[i], Reader::at("triggers", i), m.id);
      if (m.find_trigger(t.slug) != nullptr)
        r.fail(triggers[i]["slug"], Reader::at("triggers", i) + ".slug", "duplicate trigger " + t.slug);
      m.triggers.push_back(std::move(t));
    }
  }
  return m;
}

}  // namespace

const Action* Manifest::find_action(std::string_view slug) const {
  for (const auto& a : actions)
    if (a.slug == slug) return &a;
  return nullptr;
}

const Trigger* Manifest::find_trigger(std::string_view slug) const {
  for (const auto& t : triggers)
    if (t.slug == slug) return &t;
  return nullptr;
}

const AuthType* Manifest::find_auth(std::string_view type) const {
  for (const auto& a : auth)
    if (a.type == type) return &a;
  return nullptr;
}

bool Manifest::requires_oauth() const { return find_auth("oauth2") != nullptr; }

Manifest parse_manifest_text(const std::string& text, const std::filesystem::path& file) {
  Reader r(file.filename().string());
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ManifestError(file.filename().string(), e.mark.line + 1, "(yaml)", e.msg);
  }
  try {
    return read_manifest(r, root, file);
  } catch (const YAML::Exception& e) {
    // A node of an unexpected kind (a scalar where a mapping belongs, found by fuzzing) still
    // gets the file and line, like every other manifest error.
    throw ManifestError(file.filename().string(), e.mark.line + 1, "(yaml)", e.msg);
  }
}

Manifest parse_manifest(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ManifestError(file.filename().string(), 0, "(file)", "cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_manifest_text(ss.str(), file);
}

}  // namespace plugboard::plugins

#include "app/check_command.hpp"

#include "app/check_report.hpp"
#include "execute/call.hpp"
#include "log/setup.hpp"
#include "plugins/loader.hpp"
#include "plugins/sample_params.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <set>
#include <string>

namespace plugboard::app {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using Status = CheckStatus;
using Report = CheckReport;

std::string version(std::uint32_t major, std::uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

// "1 action", "2 actions"
std::string plural(std::size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string shorten(std::string s, std::size_t max = 160) {
  if (s.size() > max) s = s.substr(0, max - 3) + "...";
  return s;
}

void append(void* ctx, const char* data, std::size_t len) {
  static_cast<std::string*>(ctx)->append(data, len);
}

// The slugs of one describe() list; an error names what is wrong with it.
std::optional<std::string> slugs(const json::object& d, const char* key, std::set<std::string>& out) {
  const auto* v = d.if_contains(key);
  if (v == nullptr) return std::string("has no \"") + key + "\" array";
  if (!v->is_array()) return std::string("\"") + key + "\" is not an array";
  for (const auto& x : v->get_array()) {
    if (!x.is_string()) return std::string("\"") + key + "\" holds a non-string: " + json::serialize(x);
    if (!out.emplace(x.get_string()).second)
      return std::string("\"") + key + "\" lists '" + std::string(x.get_string()) + "' twice";
  }
  return std::nullopt;
}

std::string differences(const char* what, const std::set<std::string>& declared,
                        const std::set<std::string>& registered) {
  std::string out;
  for (const auto& s : declared)
    if (!registered.count(s))
      out += std::string(out.empty() ? "" : "; ") + what + " '" + s + "' declared, not registered";
  for (const auto& s : registered)
    if (!declared.count(s))
      out += std::string(out.empty() ? "" : "; ") + what + " '" + s + "' registered, not declared";
  return out;
}

// describe() once more, held to its contract: a JSON object that survives a serialize/parse
// round trip and names exactly the manifest's provider, actions and triggers.
void check_describe(const plugins::LoadedPlugin& p, const std::string& file, Report& r) {
  std::string text;
  pb_writer w{&text, &append};
  if (p.api->describe(&w) != PB_OK)
    return r.add(Status::fail, "describe", file, "describe() did not return PB_OK");
  boost::system::error_code ec;
  json::value d = json::parse(text, ec);
  if (ec || !d.is_object())
    return r.add(Status::fail, "describe", file,
                 "describe() output is not a JSON object: " +
                     json::serialize(json::string(shorten(text))));  // escaped: foreign bytes
  if (json::parse(json::serialize(d)) != d)
    return r.add(Status::fail, "describe", file, "describe() output changes when re-serialized");
  const auto& o = d.get_object();
  const auto* provider = o.if_contains("provider");
  if (provider == nullptr || !provider->is_string() || provider->get_string() != p.manifest.id)
    return r.add(Status::fail, "describe", file + " id",
                 "describe() names provider " + (provider ? json::serialize(*provider) : "(none)") +
                     ", the manifest '" + p.manifest.id + "'");
  std::set<std::string> actions, triggers, declared_actions, declared_triggers;
  for (const char* key : {"actions", "triggers"})
    if (auto bad = slugs(o, key, key[0] == 'a' ? actions : triggers))
      return r.add(Status::fail, "describe", file, "describe() " + *bad);
  for (const auto& a : p.manifest.actions) declared_actions.insert(a.slug);
  for (const auto& t : p.manifest.triggers) declared_triggers.insert(t.slug);
  std::string diff = differences("action", declared_actions, actions);
  if (auto t = differences("trigger", declared_triggers, triggers); !t.empty())
    diff += (diff.empty() ? "" : "; ") + t;
  if (!diff.empty()) return r.add(Status::fail, "describe", file + " actions/triggers", diff);
  r.add(Status::pass, "describe", file,
        "round-trips and agrees with the manifest (" + plural(actions.size(), "action") + ", " +
            plural(triggers.size(), "trigger") + ")");
}

// `required` names a property that `properties` does not declare: with additionalProperties
// false no value can ever be valid.
void check_required_declared(const json::value& schema, const std::string& subject, Report& r) {
  const auto& s = schema.get_object();
  const auto* req = s.if_contains("required");
  const auto* props = s.if_contains("properties");
  if (req == nullptr || !req->is_array()) return;
  const auto* ap = s.if_contains("additionalProperties");
  const bool closed = ap != nullptr && ap->is_bool() && !ap->get_bool();
  for (const auto& n : req->get_array()) {
    if (!n.is_string() ||
        (props != nullptr && props->is_object() && props->get_object().contains(n.get_string())))
      continue;
    r.add(closed ? Status::fail : Status::warn, "schema", subject + ".required",
          "'" + std::string(n.get_string()) + "' is required but not under properties" +
              (closed ? " and additionalProperties is false: nothing can be valid" : ""));
  }
}

// Dry run of one parameters schema: a generated sample must pass the runtime's validator and
// each invalid variant must fail it. No plugin code runs.
void check_schema(const plugins::Schema& schema, const std::string& subject, Report& r) {
  r.add(Status::pass, "schema", subject, "valid JSON Schema (compiled by the runtime's validator)");
  if (schema.source().is_object()) check_required_declared(schema.source(), subject, r);
  const auto sample = plugins::sample_value(schema.source());
  const auto text = shorten(json::serialize(sample.value), 120);
  if (auto err = schema.validate(sample.value)) {
    std::string why = "generated sample " + text + " refused at '" + err->field + "' (" + err->keyword +
                      "): " + err->message;
    if (!sample.guesses.empty())
      return r.add(Status::warn, "sample", subject, why + "; guessed " + sample.guesses[0]);
    return r.add(Status::fail, "sample", subject, why);
  }
  // A guess the validator accepted did its job; the reason still says what was guessed.
  r.add(Status::pass, "sample", subject,
        "accepted " + text + (sample.guesses.empty() ? "" : "; guessed " + sample.guesses[0]));
  const auto variants = plugins::invalid_variants(schema.source(), sample.value);
  if (variants.empty())
    return r.add(Status::warn, "reject", subject,
                 "no invalid variant could be made (nothing required or typed)");
  std::vector<std::string> accepted;
  for (const auto& v : variants)
    if (!schema.validate(v.value)) accepted.push_back(v.what);
  if (!accepted.empty())
    return r.add(Status::fail, "reject", subject, "accepted an invalid variant: " + accepted[0]);
  std::string list;
  for (const auto& v : variants) list += (list.empty() ? "" : ", ") + v.what;
  r.add(Status::pass, "reject", subject,
        "refused " + plural(variants.size(), "invalid variant") + " (" + list + ")");
}

Report check_manifest(const fs::path& file) {
  Report r{file, {}, {}};
  const std::string f = file.filename().string();
  plugins::Manifest m;
  try {
    m = plugins::parse_manifest(file);
  } catch (const std::exception& e) {
    r.add(Status::fail, "manifest", f, e.what());
    return r;
  }
  r.id = m.id;
  r.add(Status::pass, "manifest", f,
        m.id + " " + m.version + ", " + plural(m.actions.size(), "action") + ", " +
            plural(m.triggers.size(), "trigger"));

  if (m.abi_major != PLUGBOARD_ABI_MAJOR) {
    r.add(Status::fail, "abi", f + " abi.major",
          "built for ABI " + version(m.abi_major, m.abi_minor) + ", this runtime speaks " +
              version(PLUGBOARD_ABI_MAJOR, PLUGBOARD_ABI_MINOR) + "; rebuild against a " +
              std::to_string(PLUGBOARD_ABI_MAJOR) + ".x SDK");
  } else if (m.abi_minor > PLUGBOARD_ABI_MINOR) {
    r.add(Status::warn, "abi", f + " abi.minor",
          "declares ABI " + version(m.abi_major, m.abi_minor) + ", newer than this runtime's " +
              version(PLUGBOARD_ABI_MAJOR, PLUGBOARD_ABI_MINOR) + "; the library's table decides");
  } else {
    r.add(Status::pass, "abi", f + " abi",
          "ABI " + version(m.abi_major, m.abi_minor) + ", runtime speaks " +
              version(PLUGBOARD_ABI_MAJOR, PLUGBOARD_ABI_MINOR));
  }

  for (std::size_t i = 0; i < m.actions.size(); ++i)
    check_schema(*m.actions[i].parameters,
                 f + " actions[" + std::to_string(i) + "] (" + m.actions[i].slug + ").parameters", r);
  for (std::size_t i = 0; i < m.triggers.size(); ++i)
    check_schema(*m.triggers[i].config,
                 f + " triggers[" + std::to_string(i) + "] (" + m.triggers[i].slug + ").config", r);

  if (m.abi_major != PLUGBOARD_ABI_MAJOR) return r;  // never open a library built for another major
  try {
    plugins::check_before_open(m);
    r.add(Status::pass, "library", f + " library",
          m.library.filename().string() + " present" + (m.sha256.empty() ? "" : ", sha256 matches the pin"));
  } catch (const std::exception& e) {
    r.add(Status::fail, "library", f + " library", e.what());
    return r;
  }
  std::shared_ptr<const plugins::LoadedPlugin> p;
  try {
    p = plugins::Loader(execute::host_api()).open(m);
  } catch (const std::exception& e) {
    r.add(Status::fail, "load", f + " library", e.what());
    return r;
  }
  r.add(Status::pass, "load", f + " library",
        "entry point returned an ABI " + version(p->api->abi_major, p->api->abi_minor) +
            " table (needs host " + version(PLUGBOARD_ABI_MAJOR, p->api->min_host_minor) +
            "+); registered actions and triggers match");
  check_describe(*p, f, r);
  return r;
}

std::vector<fs::path> manifests_in(const fs::path& path) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return {path};
  for (const auto& e : fs::directory_iterator(path, ec))
    if (e.is_regular_file() && (e.path().extension() == ".yaml" || e.path().extension() == ".yml"))
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}
}  // namespace

int plugins_check(const CheckOptions& options, std::ostream& out, std::ostream& err) {
  if (options.paths.empty()) {
    err << "plugins check needs a PATH (a manifest or a directory of manifests)\n";
    return 2;
  }
  std::vector<fs::path> files;
  for (const auto& p : options.paths) {
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      err << "plugins check: " << p.string() << " does not exist\n";
      return 2;
    }
    auto found = manifests_in(p);
    if (found.empty()) {
      err << "plugins check: no *.yaml or *.yml manifest in " << p.string() << "\n";
      return 2;
    }
    files.insert(files.end(), found.begin(), found.end());
  }
  // Warnings and errors reach stderr: a plugin that refuses the host says why through its log.
  log::setup("warn", log::Format::text);
  std::vector<Report> reports;
  std::size_t counts[3] = {0, 0, 0};
  for (const auto& f : files) {
    reports.push_back(check_manifest(f));
    for (const auto& l : reports.back().lines) ++counts[static_cast<int>(l.status)];
  }
  const std::size_t passed = counts[0], failed = counts[1], warned = counts[2];
  if (options.json) {
    auto doc = report_json(reports);
    doc.as_object()["summary"] = {
        {"passed", passed}, {"failed", failed}, {"warnings", warned}, {"ok", failed == 0}};
    out << json::serialize(doc) << "\n";
  } else {
    print_report_text(reports, out);
    out << "summary: " << passed << " passed, " << failed << " failed, " << warned << " warnings in "
        << reports.size() << (reports.size() == 1 ? " manifest" : " manifests") << " -> "
        << (failed == 0 ? "OK" : "FAILED") << "\n";
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace plugboard::app
// The report of `plugboard plugins check`: one line per check, per manifest, printed as text
// or as one JSON document. Subjects and reasons are made printable when they are recorded,
// since they quote foreign text (library output, bytes of a file that is not YAML).
#pragma once

#include <boost/json/value.hpp>

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace plugboard::app {

enum class CheckStatus { pass, fail, warn };

// "PASS", "FAIL" or "WARN".
const char* status_name(CheckStatus s);

struct CheckLine {
  CheckStatus status;
  std::string check;    // manifest, abi, library, load, describe, schema, sample, reject
  std::string subject;  // file, or file and field
  std::string reason;
};

struct CheckReport {
  std::filesystem::path manifest;
  std::string id;  // empty when the manifest did not parse
  std::vector<CheckLine> lines;
  void add(CheckStatus s, std::string check, const std::string& subject, const std::string& reason);
};

// Control bytes and invalid UTF-8 as \xNN; printable ASCII and valid UTF-8 unchanged.
std::string printable(const std::string& s);

// "<manifest> (<id>)" then "  PASS check    subject: reason" per line.
void print_report_text(const std::vector<CheckReport>& reports, std::ostream& out);
// {"plugins":[{"manifest","id","checks":[{"status","check","subject","reason"}]}]}
boost::json::value report_json(const std::vector<CheckReport>& reports);

}  // namespace plugboard::app

// The pure part of automations: which events an automation takes (conditions) and the action
// parameters it builds from one (templates, then field mappings). No I/O, so it is unit-tested
// alone and evaluated the same way wherever it runs.
//
// Fields are dotted paths into the event's payload (events::payload_of: id, event, timestamp,
// entity ids, data). A path that is not found there is looked up under "data", so
// "priority" and "data.priority" name the same field.
#pragma once

#include <boost/json.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace plugboard::events {

struct Condition {
  std::string field;
  std::string op;  // equals, contains, greater_than, less_than
  boost::json::value value;
};

struct Mapping {
  std::string source;     // a field of the event
  std::string target;     // a dotted path in the action's parameters
  std::string transform;  // none, uppercase, lowercase, date
};

// A rule the client sent that cannot work; `field` is the request field at fault
// ("conditions[1].operator"). Rendered as validation_error.
struct RuleError : std::runtime_error {
  RuleError(std::string field_, const std::string& message)
      : std::runtime_error(message), field(std::move(field_)) {}
  std::string field;
};

// Parses what clients send. Mappings accept seed 003's names too (kokoField/externalField);
// the "custom" transform (JavaScript in seed 003) is refused: this runtime runs no scripts.
std::vector<Condition> parse_conditions(const boost::json::value& v);
std::vector<Mapping> parse_mappings(const boost::json::value& v);
boost::json::array to_json(const std::vector<Condition>& conditions);
boost::json::array to_json(const std::vector<Mapping>& mappings);

// The field at `path` in the payload (falling back to payload.data), or null when absent.
const boost::json::value* field_of(const boost::json::object& payload, std::string_view path);

// True when every condition holds (an empty list always holds). A missing field fails its
// condition; comparisons of mismatched kinds (a number with a string) fail, never throw.
bool conditions_hold(const std::vector<Condition>& conditions, const boost::json::object& payload);

// Why parameters could not be built for one event: the run fails with this code.
struct BuildError : std::runtime_error {
  BuildError(std::string code_, const std::string& message)
      : std::runtime_error(message), code(std::move(code_)) {}
  std::string code;  // TEMPLATE_FIELD_MISSING, MAPPING_FIELD_MISSING, MAPPING_TRANSFORM_FAILED
};

// Fills {{field}} templates in every string of `parameters` (fields as above), then applies the
// mappings, which overwrite their targets. Throws BuildError.
boost::json::object build_parameters(const boost::json::object& parameters,
                                     const std::vector<Mapping>& mappings,
                                     const boost::json::object& payload);

}  // namespace plugboard::events

// YAML -> JSON for the parts of a manifest that are JSON Schemas.
#pragma once

#include <yaml-cpp/yaml.h>
#include <boost/json.hpp>

namespace plugboard::plugins {

// Plain scalars are typed the way YAML 1.2's core schema does (null, booleans, integers,
// floats); quoted scalars always stay strings.
boost::json::value yaml_to_json(const YAML::Node& node);

}  // namespace plugboard::plugins

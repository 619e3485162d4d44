// Sample parameters made from an action's JSON Schema, for `plugboard plugins check`: one value
// the schema should accept and variants it must refuse. They let the checker dry-run the
// runtime's validator on every action without invoking any plugin code.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <vector>

namespace plugboard::plugins {

struct Sample {
  boost::json::value value;
  // Where the generator had to guess, "path: why" (e.g. a `pattern` with no `examples`): the
  // validator may refuse such a sample without the schema being wrong. Empty when confident.
  std::vector<std::string> guesses;
};

// A value the schema accepts, built from `const`, `examples`, `default`, `enum`, `type`,
// `format`, numeric bounds, string and array lengths, `required` and nested `properties` and
// `items`. Optional properties are included when they can be generated without guessing.
// Never throws on a malformed schema: it guesses and says so.
Sample sample_value(const boost::json::value& schema);

struct InvalidVariant {
  std::string what;  // "missing required field 'name'", "field 'count' of the wrong type", ...
  boost::json::value value;
};

// Variants of an object `sample` that the object schema must refuse: each required property
// removed in turn, the first typed property given a value of another type, and an unknown
// property when `additionalProperties` is false.
std::vector<InvalidVariant> invalid_variants(const boost::json::value& schema,
                                             const boost::json::value& sample);

}  // namespace plugboard::plugins

#include "plugins/sample_params.hpp"
#include "plugins/manifest.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <filesystem>

namespace json = boost::json;
using plugboard::plugins::invalid_variants;
using plugboard::plugins::parse_manifest;
using plugboard::plugins::sample_value;
using plugboard::plugins::Schema;

namespace {

json::value sample_of(const char* schema) { return sample_value(json::parse(schema)).value; }

// The sample must pass the runtime's own validator, with no guesses.
void expect_accepted(const char* text) {
  const auto schema = json::parse(text);
  const auto s = sample_value(schema);
  EXPECT_TRUE(s.guesses.empty()) << text << ": " << s.guesses.front();
  auto err = Schema::compile(schema).validate(s.value);
  EXPECT_FALSE(err) << text << " refused " << json::serialize(s.value) << " at " << err->field << ": "
                    << err->message;
}

}  // namespace

TEST(SampleParams, ScalarTypes) {
  EXPECT_TRUE(sample_of(R"({"type":"string"})").is_string());
  EXPECT_TRUE(sample_of(R"({"type":"integer"})").is_int64());
  EXPECT_TRUE(sample_of(R"({"type":"number"})").is_double());
  EXPECT_EQ(sample_of(R"({"type":"boolean"})"), json::value(true));
  EXPECT_TRUE(sample_of(R"({"type":"null"})").is_null());
  EXPECT_TRUE(sample_of(R"({"type":["null","integer"]})").is_int64());
}

TEST(SampleParams, PrefersConstExamplesDefaultEnumInThatOrder) {
  EXPECT_EQ(sample_of(R"({"type":"string","const":"c","examples":["e"],"default":"d","enum":["n"]})"), "c");
  EXPECT_EQ(sample_of(R"({"type":"string","examples":["e"],"default":"d","enum":["n"]})"), "e");
  EXPECT_EQ(sample_of(R"({"type":"string","default":"d","enum":["n"]})"), "d");
  EXPECT_EQ(sample_of(R"({"type":"string","enum":["n","m"]})"), "n");
}

TEST(SampleParams, NumericBoundsAreHonoured) {
  EXPECT_EQ(sample_of(R"({"type":"integer","minimum":5})"), json::value(5));
  EXPECT_EQ(sample_of(R"({"type":"integer","maximum":-3})"), json::value(-3));
  EXPECT_EQ(sample_of(R"({"type":"integer","exclusiveMinimum":7})"), json::value(8));
  EXPECT_EQ(sample_of(R"({"type":"integer","minimum":2,"maximum":4})"), json::value(2));
  EXPECT_DOUBLE_EQ(sample_of(R"({"type":"number","minimum":2,"maximum":4})").as_double(), 3.0);
  expect_accepted(R"({"type":"number","exclusiveMinimum":0,"exclusiveMaximum":1})");
  expect_accepted(R"({"type":"integer","minimum":10,"exclusiveMaximum":11})");
}

TEST(SampleParams, StringLengthsAndFormats) {
  EXPECT_EQ(sample_of(R"({"type":"string","minLength":10})").as_string().size(), 10u);
  EXPECT_EQ(sample_of(R"({"type":"string","maxLength":3})").as_string().size(), 3u);
  EXPECT_EQ(sample_of(R"({"type":"string","format":"email"})"), "user@example.com");
  EXPECT_EQ(sample_of(R"({"type":"string","format":"date-time"})"), "2024-01-02T03:04:05Z");
  EXPECT_EQ(sample_of(R"({"type":"string","format":"uri"})"), "https://example.com/");
  expect_accepted(R"({"type":"string","format":"uuid","minLength":36,"maxLength":36})");
}

TEST(SampleParams, NestedObjectsAndArrays) {
  const char* schema = R"({"type":"object","required":["user","tags"],"additionalProperties":false,
    "properties":{
      "user":{"type":"object","required":["email"],"properties":{
        "email":{"type":"string","format":"email"},"age":{"type":"integer","minimum":18}}},
      "tags":{"type":"array","minItems":2,"maxItems":3,"items":{"type":"string","enum":["a","b"]}},
      "matrix":{"type":"array","items":{"type":"array","items":{"type":"number"}}}}})";
  expect_accepted(schema);
  auto v = sample_of(schema);
  EXPECT_EQ(v.at("user").at("email"), "user@example.com");
  EXPECT_EQ(v.at("user").at("age"), json::value(18));
  EXPECT_EQ(v.at("tags"), (json::array{"a", "a"}));
  EXPECT_TRUE(v.at("matrix").at(0).at(0).is_double());
}

TEST(SampleParams, PatternWithoutExamplesIsAGuessAndOptionalOnesAreLeftOut) {
  auto s = sample_value(json::parse(R"({"type":"object","required":["id"],"properties":{
    "id":{"type":"string","pattern":"^C[0-9]+$"},"code":{"type":"string","pattern":"^[A-Z]{3}$"}}})"));
  ASSERT_EQ(s.guesses.size(), 1u);
  EXPECT_NE(s.guesses[0].find("id: has a pattern"), std::string::npos) << s.guesses[0];
  EXPECT_TRUE(s.value.as_object().contains("id"));
  EXPECT_FALSE(s.value.as_object().contains("code"));
  expect_accepted(R"({"type":"string","pattern":"^C[0-9]+$","examples":["C123"]})");
}

TEST(SampleParams, HugeLengthsAreCappedAndCalledGuesses) {
  auto s = sample_value(json::parse(R"({"type":"string","minLength":1000000000})"));
  EXPECT_LE(s.value.as_string().size(), 4096u);
  ASSERT_EQ(s.guesses.size(), 1u);
  s = sample_value(json::parse(R"({"type":"array","minItems":1000000000,"items":{"type":"integer"}})"));
  EXPECT_LE(s.value.as_array().size(), 4096u);
  ASSERT_EQ(s.guesses.size(), 1u);
  EXPECT_NE(s.guesses[0].find("minItems too large"), std::string::npos);
}

TEST(SampleParams, RequiredButUndeclaredIsAGuess) {
  auto s = sample_value(json::parse(R"({"type":"object","required":["ghost"],"properties":{}})"));
  ASSERT_EQ(s.guesses.size(), 1u);
  EXPECT_NE(s.guesses[0].find("ghost: required but not under properties"), std::string::npos);
}

TEST(SampleParams, InvalidVariantsAreEachRefused) {
  const auto schema = json::parse(R"({"type":"object","required":["a","b"],"additionalProperties":false,
    "properties":{"a":{"type":"string"},"b":{"type":"integer"},"c":{"type":"boolean"}}})");
  const auto compiled = Schema::compile(schema);
  const auto sample = sample_value(schema).value;
  ASSERT_FALSE(compiled.validate(sample));
  const auto variants = invalid_variants(schema, sample);
  ASSERT_EQ(variants.size(), 4u);
  EXPECT_EQ(variants[0].what, "missing required field 'a'");
  EXPECT_FALSE(variants[0].value.as_object().contains("a"));
  EXPECT_EQ(variants[1].what, "missing required field 'b'");
  EXPECT_EQ(variants[2].what, "field 'a' of the wrong type");
  EXPECT_EQ(variants[2].value.at("a"), json::value(12345));
  EXPECT_NE(variants[3].what.find("unknown field"), std::string::npos);
  for (const auto& v : variants) {
    auto err = compiled.validate(v.value);
    ASSERT_TRUE(err) << v.what << " was accepted: " << json::serialize(v.value);
  }
  EXPECT_EQ(compiled.validate(variants[0].value)->keyword, "required");
  EXPECT_EQ(compiled.validate(variants[2].value)->keyword, "type");
}

TEST(SampleParams, NoVariantsForAnOpenSchema) {
  const auto schema = json::parse(R"({"type":"object"})");
  EXPECT_TRUE(invalid_variants(schema, sample_value(schema).value).empty());
}

// Every bundled manifest's parameters get a sample the runtime accepts and variants it refuses.
TEST(SampleParams, BundledManifests) {
  int checked = 0;
  for (const auto& e : std::filesystem::directory_iterator(PLUGBOARD_SOURCE_DIR "/manifests")) {
    const auto m = parse_manifest(e.path());
    for (const auto& a : m.actions) {
      const auto s = sample_value(a.parameters->source());
      auto err = a.parameters->validate(s.value);
      EXPECT_FALSE(err) << m.id << "/" << a.slug << " refused " << json::serialize(s.value) << ": "
                        << err->message;
      for (const auto& v : invalid_variants(a.parameters->source(), s.value))
        EXPECT_TRUE(a.parameters->validate(v.value)) << m.id << "/" << a.slug << " accepted " << v.what;
      ++checked;
    }
  }
  EXPECT_GE(checked, 10);
}

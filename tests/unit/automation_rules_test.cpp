// Automation rules: conditions over an event's payload, and parameters built from it.
#include "events/automation_rules.hpp"

#include <gtest/gtest.h>

namespace plugboard::events {
namespace {
namespace json = boost::json;

json::object payload() {
  return json::parse(
             R"({"id":"evt_1","event":"comment.created","timestamp":"2026-12-04T10:00:00Z","table_id":7,
    "data":{"text":"Ship it","author":{"name":"Ada Lovelace","email":"ada@example.com"},"priority":3,
            "tags":["urgent","ops"],"due":"2026-12-24","created":1764842400}})")
      .as_object();
}

bool holds(const char* conditions) {
  return conditions_hold(parse_conditions(json::parse(conditions)), payload());
}

TEST(AutomationRules, EveryOperatorOnEveryKind) {
  EXPECT_TRUE(holds(R"([])"));
  EXPECT_TRUE(holds(R"([{"field":"data.text","operator":"equals","value":"Ship it"}])"));
  EXPECT_TRUE(holds(R"([{"field":"text","operator":"equals","value":"Ship it"}])"));  // data fallback
  EXPECT_FALSE(holds(R"([{"field":"text","operator":"equals","value":"ship it"}])"));
  EXPECT_TRUE(holds(R"([{"field":"table_id","operator":"equals","value":7.0}])"));  // numbers by value
  EXPECT_TRUE(holds(R"([{"field":"author.name","operator":"contains","value":"Love"}])"));
  EXPECT_TRUE(holds(R"([{"field":"tags","operator":"contains","value":"ops"}])"));
  EXPECT_FALSE(
      holds(R"([{"field":"tags","operator":"contains","value":"op"}])"));  // elements, not substrings
  EXPECT_TRUE(holds(R"([{"field":"priority","operator":"greater_than","value":2}])"));
  EXPECT_FALSE(holds(R"([{"field":"priority","operator":"greater_than","value":3}])"));
  EXPECT_TRUE(holds(R"([{"field":"priority","operator":"less_than","value":3.5}])"));
  EXPECT_TRUE(
      holds(R"([{"field":"timestamp","operator":"greater_than","value":"2026-12-04T09:00:00+00:00"}])"));
  EXPECT_FALSE(
      holds(R"([{"field":"timestamp","operator":"less_than","value":"2026-12-04T10:30:00+01:00"}])"));
}

TEST(AutomationRules, AllMustHoldAndMissingOrMismatchedFieldsFail) {
  EXPECT_FALSE(holds(R"([{"field":"text","operator":"equals","value":"Ship it"},
                        {"field":"priority","operator":"greater_than","value":5}])"));
  EXPECT_FALSE(holds(R"([{"field":"data.nothing","operator":"equals","value":null}])"));
  EXPECT_FALSE(holds(R"([{"field":"text","operator":"greater_than","value":1}])"));  // string vs number
  EXPECT_FALSE(holds(R"([{"field":"priority","operator":"contains","value":"3"}])"));
}

TEST(AutomationRules, BadRulesNameTheField) {
  auto field_of_error = [](const char* text, bool mappings) {
    try {
      mappings ? (void)parse_mappings(json::parse(text)) : (void)parse_conditions(json::parse(text));
    } catch (const RuleError& e) {
      return e.field;
    }
    return std::string("no error");
  };
  EXPECT_EQ(field_of_error(R"({"field":"x"})", false), "conditions");
  EXPECT_EQ(field_of_error(R"([{"field":"x","operator":"matches","value":1}])", false),
            "conditions[0].operator");
  EXPECT_EQ(field_of_error(R"([{"field":"x","operator":"equals"}])", false), "conditions[0].value");
  EXPECT_EQ(field_of_error(R"([{"field":"a..b","operator":"equals","value":1}])", false),
            "conditions[0].field");
  EXPECT_EQ(field_of_error(R"([{"field":"x","operator":"less_than","value":[1]}])", false),
            "conditions[0].value");
  EXPECT_EQ(field_of_error(R"([{"source":"a","target":"b","transform":"custom"}])", true),
            "mappings[0].transform");
  EXPECT_EQ(field_of_error(R"([{"source":"a","target":"b","transform":"reverse"}])", true),
            "mappings[0].transform");
  EXPECT_EQ(field_of_error(R"([{"source":"a"}])", true), "mappings[0].target");
  EXPECT_EQ(field_of_error(R"([{"source":"a","target":"b","extra":1}])", true), "mappings[0].extra");
}

TEST(AutomationRules, SeedNamesForMappingsAreAccepted) {
  auto m = parse_mappings(json::parse(R"([{"kokoField":"author.name","externalField":"username"}])"));
  ASSERT_EQ(m.size(), 1U);
  EXPECT_EQ(m[0].source, "author.name");
  EXPECT_EQ(m[0].target, "username");
  EXPECT_EQ(m[0].transform, "none");
}

TEST(AutomationRules, TemplatesThenMappingsBuildTheParameters) {
  auto params = json::parse(R"J({"channel":"C1","text":"{{author.name}} said: {{data.text}} (#{{table_id}})",
                                "blocks":[{"type":"section","text":{"type":"mrkdwn","text":"p{{priority}}"}}]})J")
                    .as_object();
  auto mappings = parse_mappings(json::parse(R"([
    {"source":"author.name","target":"username","transform":"uppercase"},
    {"source":"author.email","target":"meta.contact","transform":"lowercase"},
    {"source":"due","target":"meta.due","transform":"date"},
    {"source":"created","target":"meta.created","transform":"date"},
    {"source":"priority","target":"channel"}])"));
  auto out = build_parameters(params, mappings, payload());
  EXPECT_EQ(out.at("text"), "Ada Lovelace said: Ship it (#7)");
  EXPECT_EQ(out.at("blocks").at(0).at("text").at("text"), "p3");
  EXPECT_EQ(out.at("username"), "ADA LOVELACE");
  EXPECT_EQ(out.at("meta").at("contact"), "ada@example.com");
  EXPECT_EQ(out.at("meta").at("due"), "2026-12-24T00:00:00Z");
  EXPECT_EQ(out.at("meta").at("created"), "2025-12-04T10:00:00Z");
  EXPECT_EQ(out.at("channel"), 3);  // a mapping overwrites the template's value, keeping its kind
}

TEST(AutomationRules, MissingFieldsAndBadDatesAreErrorsNotBlanks) {
  auto code = [](const char* params, const char* mappings) {
    try {
      build_parameters(json::parse(params).as_object(), parse_mappings(json::parse(mappings)), payload());
    } catch (const BuildError& e) {
      return e.code;
    }
    return std::string("built");
  };
  EXPECT_EQ(code(R"({"text":"{{data.missing}}"})", "[]"), "TEMPLATE_FIELD_MISSING");
  EXPECT_EQ(code(R"({})", R"([{"source":"missing","target":"x"}])"), "MAPPING_FIELD_MISSING");
  EXPECT_EQ(code(R"({})", R"([{"source":"text","target":"x","transform":"date"}])"),
            "MAPPING_TRANSFORM_FAILED");
  EXPECT_EQ(code(R"({"text":"{{text}}"})", R"([{"source":"due","target":"d","transform":"date"}])"), "built");
}

}  // namespace
}  // namespace plugboard::events

#include <plugboard/template.hpp>

#include <gtest/gtest.h>

using plugboard::fill_template;
using plugboard::fill_templates;
namespace json = boost::json;

TEST(Template, FillsFieldsNestedPathsAndNonStrings) {
  json::object ctx{{"field_456", "Write docs"}, {"n", 3}, {"ok", true}, {"task", {{"owner", "Ada"}}}};
  EXPECT_EQ(fill_template("New task: {{field_456}}", ctx), "New task: Write docs");
  EXPECT_EQ(fill_template("{{ n }} by {{task.owner}} {{ok}}", ctx), "3 by Ada true");
  EXPECT_EQ(fill_template("no fields", ctx), "no fields");
  EXPECT_EQ(fill_template("literal {{{{x}}", ctx), "literal {{x}}");
  EXPECT_EQ(fill_template("unclosed {{x", ctx), "unclosed {{x");
}

TEST(Template, MissingFieldIsAnErrorUnlessAllowed) {
  json::object ctx{{"a", "1"}};
  try {
    fill_template("{{b}}", ctx);
    FAIL();
  } catch (const plugboard::ActionError& e) {
    EXPECT_EQ(e.code, "TEMPLATE_FIELD_MISSING");
    EXPECT_EQ(e.details.at("field"), json::value("b"));
  }
  EXPECT_EQ(fill_template("x{{b}}y", ctx, true), "xy");
  EXPECT_THROW(fill_template("{{a.b}}", ctx), plugboard::ActionError);
}

TEST(Template, FillsEveryStringOfACard) {
  json::value card =
      json::parse(R"({"type":"AdaptiveCard","body":[{"type":"TextBlock","text":"{{t}}"},{"n":1}]})");
  auto filled = fill_templates(card, {{"t", "Hello"}});
  EXPECT_EQ(filled.at("body").at(0).at("text"), json::value("Hello"));
  EXPECT_EQ(filled.at("type"), json::value("AdaptiveCard"));
}

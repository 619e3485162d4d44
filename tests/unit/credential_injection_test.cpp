#include "execute/credential_injection.hpp"

#include <gtest/gtest.h>

using namespace plugboard::execute;

TEST(CredentialInjection, ExpandsFieldsAndBasic) {
  boost::json::object creds{{"token", "xoxb-1"}, {"username", "ada"}, {"password", "s3cret"}};
  EXPECT_EQ(expand_template("Bearer ${token}", creds), "Bearer xoxb-1");
  EXPECT_EQ(expand_template("Basic ${basic}", creds), "Basic YWRhOnMzY3JldA==");
  EXPECT_EQ(expand_template("no templates", creds), "no templates");
  EXPECT_EQ(expand_template("${token}-${token}", creds), "xoxb-1-xoxb-1");
}

TEST(CredentialInjection, MissingFieldIsAnErrorNeverAnEmptyValue) {
  boost::json::object creds{{"token", "x"}};
  EXPECT_THROW(expand_template("Bearer ${access_token}", creds), InjectionError);
  EXPECT_THROW(expand_template("Basic ${basic}", creds), InjectionError);
  EXPECT_THROW(expand_template("Bearer ${token", creds), InjectionError);
}

TEST(CredentialInjection, AppliesHeaderAndQueryRules) {
  plugboard::plugins::Injection rules;
  rules.headers["Authorization"] = "Bearer ${token}";
  rules.query["key"] = "${token}";
  auto out = inject_credentials(rules, {{"token", "t 1"}});
  ASSERT_EQ(out.headers.size(), 1u);
  EXPECT_EQ(out.headers[0].second, "Bearer t 1");
  ASSERT_EQ(out.query.size(), 1u);
  EXPECT_EQ(url_encode(out.query[0].second), "t%201");
}

// The egress policy's address classes and what it refuses by default and with the operator's
// allowances (config webhooks.egress.*). Literal addresses and "localhost" only: no test
// depends on outside DNS.
#include "net/egress_policy.hpp"

#include <gtest/gtest.h>

using plugboard::net::AddressClass;
using plugboard::net::classify_address;
using plugboard::net::EgressOptions;
using plugboard::net::EgressPolicy;

namespace {

struct Case {
  const char* ip;
  AddressClass expected;
};

}  // namespace

TEST(EgressPolicy, ClassifiesIPv4) {
  const Case cases[] = {
      {"8.8.8.8", AddressClass::global},           {"93.184.216.34", AddressClass::global},
      {"127.0.0.1", AddressClass::loopback},       {"127.255.255.254", AddressClass::loopback},
      {"0.0.0.0", AddressClass::loopback},         {"10.0.0.1", AddressClass::private_net},
      {"172.16.0.1", AddressClass::private_net},   {"172.31.255.255", AddressClass::private_net},
      {"172.32.0.1", AddressClass::global},        {"172.15.255.255", AddressClass::global},
      {"192.168.1.1", AddressClass::private_net},  {"100.64.0.1", AddressClass::private_net},
      {"100.128.0.1", AddressClass::global},       {"169.254.0.1", AddressClass::link_local},
      {"169.254.169.254", AddressClass::metadata}, {"169.254.169.253", AddressClass::link_local},
      {"224.0.0.1", AddressClass::other},          {"255.255.255.255", AddressClass::other},
      {"240.0.0.1", AddressClass::other},
  };
  for (const auto& c : cases) {
    const auto got = classify_address(c.ip);
    ASSERT_TRUE(got.has_value()) << c.ip;
    EXPECT_EQ(*got, c.expected) << c.ip << " is " << plugboard::net::to_string(*got);
  }
}

TEST(EgressPolicy, ClassifiesIPv6) {
  const Case cases[] = {
      {"2001:4860:4860::8888", AddressClass::global},
      {"::1", AddressClass::loopback},
      {"::", AddressClass::other},
      {"fc00::1", AddressClass::private_net},  // ULA fc00::/7, both halves
      {"fd12:3456:789a::1", AddressClass::private_net},
      {"fe80::1", AddressClass::link_local},
      {"febf::1", AddressClass::link_local},
      {"fec0::1", AddressClass::global},  // site-local was deprecated; not fe80::/10
      {"fd00:ec2::254", AddressClass::metadata},
      {"ff02::1", AddressClass::other},
      // IPv4-mapped addresses are the IPv4 address as far as the kernel is concerned.
      {"::ffff:127.0.0.1", AddressClass::loopback},
      {"::ffff:10.1.2.3", AddressClass::private_net},
      {"::ffff:169.254.169.254", AddressClass::metadata},
      {"::ffff:169.254.1.1", AddressClass::link_local},
      {"::ffff:8.8.8.8", AddressClass::global},
  };
  for (const auto& c : cases) {
    const auto got = classify_address(c.ip);
    ASSERT_TRUE(got.has_value()) << c.ip;
    EXPECT_EQ(*got, c.expected) << c.ip << " is " << plugboard::net::to_string(*got);
  }
}

TEST(EgressPolicy, NonAddressesAreNotClassified) {
  for (const char* text :
       {"", "example.com", "256.1.1.1", "1.2.3", "[::1]", "::ffff:1.2.3.4.5", "fe80::1%eth0x"})
    EXPECT_FALSE(classify_address(text).has_value()) << text;
}

TEST(EgressPolicy, DefaultAllowsOnlyPublicAddresses) {
  const EgressPolicy p;
  EXPECT_TRUE(p.allows(AddressClass::global));
  for (auto c : {AddressClass::loopback, AddressClass::private_net, AddressClass::link_local,
                 AddressClass::metadata, AddressClass::other})
    EXPECT_FALSE(p.allows(c)) << plugboard::net::to_string(c);
  EXPECT_EQ(p.refusal("http://8.8.8.8/hook"), std::nullopt);
  EXPECT_EQ(p.refusal("https://[2001:4860:4860::8888]:8443/hook"), std::nullopt);
}

TEST(EgressPolicy, RefusalsNameTheAddressTheClassAndTheSetting) {
  const EgressPolicy p;
  const auto loopback = p.refusal("http://127.0.0.1:9000/hook");
  ASSERT_TRUE(loopback);
  EXPECT_NE(loopback->find("127.0.0.1 is a loopback address"), std::string::npos) << *loopback;
  EXPECT_NE(loopback->find("webhooks.egress.allow_loopback"), std::string::npos) << *loopback;

  const auto named = p.refusal("http://localhost:9000/hook");  // resolved, then classified
  ASSERT_TRUE(named);
  EXPECT_NE(named->find("host localhost resolves to"), std::string::npos) << *named;

  const auto metadata = p.refusal("http://169.254.169.254/latest/meta-data/");
  ASSERT_TRUE(metadata);
  EXPECT_NE(metadata->find("cloud metadata"), std::string::npos) << *metadata;

  const auto mapped = p.refusal("http://[::ffff:10.0.0.5]/x");
  ASSERT_TRUE(mapped);
  EXPECT_NE(mapped->find("private"), std::string::npos) << *mapped;
  EXPECT_NE(mapped->find("webhooks.egress.allow_private"), std::string::npos) << *mapped;

  // Other spellings of 127.0.0.1 that the resolver accepts are classified after resolving.
  for (const char* url : {"http://2130706433/x", "http://0x7f.0.0.1/x", "http://127.1/x"}) {
    const auto why = p.refusal(url);
    ASSERT_TRUE(why) << url;
    EXPECT_NE(why->find("loopback"), std::string::npos) << *why;
  }

  // userinfo cannot hide the real host
  const auto userinfo = p.refusal("http://8.8.8.8@127.0.0.1/x");
  ASSERT_TRUE(userinfo);
  EXPECT_NE(userinfo->find("loopback"), std::string::npos) << *userinfo;
}

TEST(EgressPolicy, RefusesWhatIsNotAnHttpUrl) {
  const EgressPolicy p({.allow_loopback = true, .allow_private = true});
  for (const char* url : {"ftp://8.8.8.8/x", "file:///etc/passwd", "8.8.8.8/x", "http://",
                          "gopher://127.0.0.1/", "http://[::1/x"})
    EXPECT_TRUE(p.refusal(url).has_value()) << url;
}

TEST(EgressPolicy, OperatorAllowances) {
  const EgressPolicy loopback_only({.allow_loopback = true, .allow_private = false});
  EXPECT_EQ(loopback_only.refusal("http://127.0.0.1:9000/hook"), std::nullopt);
  EXPECT_EQ(loopback_only.refusal("http://[::1]:9000/hook"), std::nullopt);
  EXPECT_EQ(loopback_only.refusal("http://localhost:9000/hook"), std::nullopt);
  EXPECT_TRUE(loopback_only.refusal("http://10.0.0.1/hook"));
  EXPECT_TRUE(loopback_only.refusal("http://[fe80::1]/hook"));

  const EgressPolicy private_too({.allow_loopback = false, .allow_private = true});
  EXPECT_EQ(private_too.refusal("http://10.0.0.1/hook"), std::nullopt);
  EXPECT_EQ(private_too.refusal("http://[fd12::1]/hook"), std::nullopt);
  EXPECT_EQ(private_too.refusal("http://169.254.10.10/hook"), std::nullopt);  // link-local comes with private
  EXPECT_TRUE(private_too.refusal("http://127.0.0.1/hook"));

  // Nothing unlocks the metadata service or multicast.
  const EgressPolicy everything({.allow_loopback = true, .allow_private = true});
  EXPECT_TRUE(everything.refusal("http://169.254.169.254/latest"));
  EXPECT_TRUE(everything.refusal("http://[fd00:ec2::254]/latest"));
  EXPECT_TRUE(everything.refusal("http://[::ffff:169.254.169.254]/latest"));
  EXPECT_TRUE(everything.refusal("http://224.0.0.1/x"));
}

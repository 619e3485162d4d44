// The OAuth2 client against a real authorization server: npm's oauth2-mock-server, started
// by tests/oauth/mock_server.mjs on 127.0.0.1 (installed by the oauth_npm_install fixture).
// The launcher records what the server received and lets a test steer its answers through
// the library's event hooks; see the comment at its top.
#include "auth/oauth2_client.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <thread>

using namespace plugboard;
using namespace plugboard::auth::oauth2;
using namespace std::chrono_literals;

namespace {

constexpr auto kTimeout = 10s;
const std::string kClientId = "plugboard-client";
// Characters that RFC 6749 2.3.1's form-encoding changes inside HTTP Basic credentials.
const std::string kClientSecret = "s3cr:et/+&= %value";
const std::string kRedirect = "http://127.0.0.1:9/api/v2/oauth/callback";

// The Node process running the server; killed (and reaped) when this goes away, also when
// a test fails. Its stdin is a pipe we hold, so it also stops if this process dies.
class MockServer {
 public:
  MockServer() {
    const std::string node = PLUGBOARD_NODE;
    const std::string dir = PLUGBOARD_OAUTH_SERVER_DIR;
    if (node.empty() || node.find("NOTFOUND") != std::string::npos)
      throw std::runtime_error("node was not found when configuring; install Node.js 20+ and reconfigure");
    if (!std::filesystem::exists(dir + "/node_modules/oauth2-mock-server"))
      throw std::runtime_error(
          dir + "/node_modules is missing: run tests/oauth/install.sh (the oauth_npm_install test)");
    int out[2], in[2];
    if (pipe(out) != 0 || pipe(in) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      dup2(in[0], STDIN_FILENO);
      close(out[0]);
      close(out[1]);
      close(in[0]);
      close(in[1]);
      if (chdir(dir.c_str()) != 0) _exit(126);
      const std::string script = dir + "/mock_server.mjs";
      execl(node.c_str(), node.c_str(), script.c_str(), "--client-id", kClientId.c_str(), "--client-secret",
            kClientSecret.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    close(in[0]);
    stdout_ = out[0];
    stdin_ = in[1];
    const std::string line = read_line(20s);
    unsigned p = 0, c = 0;
    if (std::sscanf(line.c_str(), "READY %u %u", &p, &c) != 2) {
      stop();
      throw std::runtime_error("OAuth2 mock server did not start: '" + line + "'");
    }
    port = static_cast<int>(p);
    control_port = static_cast<int>(c);
  }
  ~MockServer() { stop(); }
  MockServer(const MockServer&) = delete;
  MockServer& operator=(const MockServer&) = delete;

  std::string base() const { return "http://127.0.0.1:" + std::to_string(port); }
  int port = 0;
  int control_port = 0;

 private:
  std::string read_line(std::chrono::milliseconds timeout) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd fd{stdout_, POLLIN, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (poll(&fd, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 1))) <= 0) continue;
      char ch = 0;
      const auto n = read(stdout_, &ch, 1);
      if (n <= 0) break;
      if (ch == '\n') return line;
      line += ch;
    }
    return line;
  }

  void stop() {
    if (stdin_ >= 0) close(stdin_);
    if (stdout_ >= 0) close(stdout_);
    stdin_ = stdout_ = -1;
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(100ms);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  pid_t pid_ = -1;
  int stdout_ = -1;
  int stdin_ = -1;
};

std::string query_param(const std::string& url, const std::string& name) {
  const auto q = url.find('?');
  if (q == std::string::npos) return {};
  std::string rest = url.substr(q + 1);
  std::size_t pos = 0;
  while (pos <= rest.size()) {
    const auto amp = rest.find('&', pos);
    const std::string pair = rest.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      std::string raw = eq == std::string::npos ? "" : pair.substr(eq + 1), out;
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '%' && i + 2 < raw.size()) {
          out += static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16));
          i += 2;
        } else {
          out += raw[i] == '+' ? ' ' : raw[i];
        }
      }
      return out;
    }
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return {};
}

class OAuth2ClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new MockServer(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { control("POST", "/reset", "{}"); }

  Endpoints endpoints(bool basic) const {
    Endpoints e;
    e.authorize_url = server_->base() + "/authorize";
    e.token_url = server_->base() + "/token";
    e.revocation_url = server_->base() + "/revoke";
    e.client_id = kClientId;
    e.client_secret = kClientSecret;
    e.basic_token_auth = basic;
    e.scopes = {"openid", "offline_access"};
    return e;
  }

  boost::json::value control(const std::string& method, const std::string& path,
                             const std::string& body = "") {
    net::OutboundRequest r{method,
                           "http://127.0.0.1:" + std::to_string(server_->control_port) + path,
                           {{"Content-Type", "application/json"}},
                           body};
    const auto response = http_.send(r, kTimeout);
    EXPECT_EQ(response.status, 200) << response.body;
    return boost::json::parse(response.body);
  }

  // Recorded requests to one endpoint ("authorize", "token", "revoke").
  std::vector<boost::json::object> requests(const std::string& endpoint) {
    std::vector<boost::json::object> out;
    const boost::json::value all = control("GET", "/requests");
    for (const auto& r : all.as_array())
      if (r.at("endpoint").as_string() == endpoint) out.push_back(r.as_object());
    return out;
  }

  static std::string str(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  }

  // The browser's part: GET the authorize URL, take the code from the redirect.
  std::string authorize(const Endpoints& e, const Pkce& pkce, const std::string& state = "state-1") {
    const std::string url = authorize_url(e, kRedirect, state, pkce.challenge, {{"nonce", "n-1"}});
    const auto response = http_.send({"GET", url, {}, ""}, kTimeout);
    EXPECT_EQ(response.status, 302) << response.body;
    const std::string location = response.header("location");
    EXPECT_EQ(location.rfind(kRedirect + "?", 0), 0U) << location;
    EXPECT_EQ(query_param(location, "state"), state);
    const std::string code = query_param(location, "code");
    EXPECT_FALSE(code.empty()) << location;
    return code;
  }

  TokenSet authorized_tokens(bool basic) {
    const auto e = endpoints(basic);
    const Pkce pkce = make_pkce();
    return exchange_code(http_, e, authorize(e, pkce), kRedirect, pkce.verifier, kTimeout);
  }

  static MockServer* server_;
  net::HttpClient http_;
};

MockServer* OAuth2ClientTest::server_ = nullptr;

// ---- pure functions ----

TEST(OAuth2Pkce, VerifierIsRfc7636AndChallengeIsS256) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const Pkce p = make_pkce();
    ASSERT_EQ(p.verifier.size(), 64U);
    for (const char c : p.verifier)
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || std::strchr("-._~", c)) << c;
    EXPECT_EQ(p.challenge, pkce_challenge(p.verifier));
    EXPECT_EQ(p.challenge.size(), 43U);
    seen.insert(p.verifier);
  }
  EXPECT_EQ(seen.size(), 50U);
  // SHA-256("abc") = ba7816bf...15ad, base64url without padding.
  EXPECT_EQ(pkce_challenge("abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
}

TEST(OAuth2AuthorizeUrl, EncodesEveryParameterAndKeepsAnExistingQuery) {
  Endpoints e;
  e.authorize_url = "https://idp.example/oauth/authorize?audience=api%20x";
  e.client_id = "id with space";
  e.scopes = {"read:user", "repo"};
  const std::string url =
      authorize_url(e, "https://pb.example/cb?a=1&b=2", "s.1", "ch_-", {{"prompt", "consent"}});
  EXPECT_EQ(
      url,
      "https://idp.example/oauth/authorize?audience=api%20x&response_type=code&client_id=id%20with%20space"
      "&redirect_uri=https%3A%2F%2Fpb.example%2Fcb%3Fa%3D1%26b%3D2&scope=read%3Auser%20repo&state=s.1"
      "&code_challenge=ch_-&code_challenge_method=S256&prompt=consent");
  e.authorize_url = "https://idp.example/authorize";
  e.scopes.clear();
  EXPECT_EQ(
      authorize_url(e, "r", "s", "c"),
      "https://idp.example/authorize?response_type=code&client_id=id%20with%20space&redirect_uri=r&state=s"
      "&code_challenge=c&code_challenge_method=S256");
}

TEST(OAuth2FormEncode, FollowsApplicationXWwwFormUrlencoded) {
  EXPECT_EQ(form_encode("a b+c&d=e:f/\xC3\xA9~._-"), "a+b%2Bc%26d%3De%3Af%2F%C3%A9~._-");
}

TEST(OAuth2Expiry, ExpiresAtAndRefreshBuffer) {
  TokenSet t;
  const auto now = std::chrono::system_clock::now();
  EXPECT_FALSE(t.expires_at(now));
  EXPECT_FALSE(needs_refresh(t.expires_at(now), now));
  t.expires_in = 3600;
  EXPECT_EQ(*t.expires_at(now), now + 3600s);
  EXPECT_FALSE(needs_refresh(t.expires_at(now), now, 60s));
  EXPECT_TRUE(needs_refresh(t.expires_at(now), now + 3541s, 60s));
  EXPECT_TRUE(needs_refresh(t.expires_at(now), now + 4000s, 60s));
}

// ---- against the real server ----

TEST_F(OAuth2ClientTest, AuthorizationCodeWithPkceAndClientSecretInBody) {
  const auto e = endpoints(false);
  const Pkce pkce = make_pkce();
  const std::string code = authorize(e, pkce);
  const TokenSet t = exchange_code(http_, e, code, kRedirect, pkce.verifier, kTimeout);
  EXPECT_FALSE(t.access_token.empty());
  EXPECT_FALSE(t.refresh_token.empty());
  EXPECT_EQ(t.token_type, "Bearer");
  ASSERT_TRUE(t.expires_in);
  EXPECT_EQ(*t.expires_in, 3600);
  EXPECT_NE(t.raw_json.find("\"id_token\""), std::string::npos);

  const auto authorizations = requests("authorize");
  ASSERT_EQ(authorizations.size(), 1U);
  const auto& q = authorizations[0].at("query").as_object();
  EXPECT_EQ(str(q, "response_type"), "code");
  EXPECT_EQ(str(q, "client_id"), kClientId);
  EXPECT_EQ(str(q, "redirect_uri"), kRedirect);
  EXPECT_EQ(str(q, "scope"), "openid offline_access");
  EXPECT_EQ(str(q, "code_challenge"), pkce.challenge);
  EXPECT_EQ(str(q, "code_challenge_method"), "S256");

  const auto tokens = requests("token");
  ASSERT_EQ(tokens.size(), 1U);
  EXPECT_EQ(str(tokens[0], "grant_type"), "authorization_code");
  EXPECT_EQ(str(tokens[0], "client_auth"), "body");
  EXPECT_EQ(str(tokens[0], "client_id"), kClientId);
  EXPECT_EQ(str(tokens[0], "client_secret"), kClientSecret);
  EXPECT_TRUE(tokens[0].at("has_code_verifier").as_bool());
  const auto& body = tokens[0].at("body").as_object();
  EXPECT_EQ(str(body, "code_verifier"), pkce.verifier);
  EXPECT_EQ(str(body, "redirect_uri"), kRedirect);
  EXPECT_EQ(str(tokens[0], "content_type"), "application/x-www-form-urlencoded");

  // The code is single-use.
  try {
    exchange_code(http_, e, code, kRedirect, pkce.verifier, kTimeout);
    FAIL() << "a used code was accepted";
  } catch (const TokenError& err) {
    EXPECT_EQ(err.http_status(), 400);
    EXPECT_FALSE(err.error().empty());
  }
}

TEST_F(OAuth2ClientTest, AuthorizationCodeWithBasicClientAuthentication) {
  const TokenSet t = authorized_tokens(true);
  EXPECT_FALSE(t.access_token.empty());
  const auto tokens = requests("token");
  ASSERT_EQ(tokens.size(), 1U);
  EXPECT_EQ(str(tokens[0], "client_auth"), "basic");
  EXPECT_EQ(str(tokens[0], "client_id"), kClientId);
  EXPECT_EQ(str(tokens[0], "client_secret"), kClientSecret) << "form-encoded, then decoded by the server";
  const auto& body = tokens[0].at("body").as_object();
  EXPECT_FALSE(body.contains("client_secret"));
  EXPECT_FALSE(body.contains("client_id"));
}

TEST_F(OAuth2ClientTest, WrongVerifierIsRefusedByTheServer) {
  const auto e = endpoints(false);
  const Pkce pkce = make_pkce();
  const std::string code = authorize(e, pkce);
  EXPECT_THROW(exchange_code(http_, e, code, kRedirect, make_pkce().verifier, kTimeout), TokenError);
}

TEST_F(OAuth2ClientTest, WrongClientSecretIsInvalidClientAndNeverEchoed) {
  auto e = endpoints(true);
  const Pkce pkce = make_pkce();
  const std::string code = authorize(e, pkce);
  e.client_secret = "wrong-secret-value";
  try {
    exchange_code(http_, e, code, kRedirect, pkce.verifier, kTimeout);
    FAIL() << "expected invalid_client";
  } catch (const TokenError& err) {
    EXPECT_EQ(err.error(), "invalid_client");
    EXPECT_EQ(err.http_status(), 401);
    EXPECT_TRUE(err.needs_reauthorization());
    const std::string what = err.what();
    EXPECT_EQ(what.find("wrong-secret-value"), std::string::npos);
    EXPECT_EQ(what.find(code), std::string::npos);
    EXPECT_EQ(what.find(pkce.verifier), std::string::npos);
  }
}

TEST_F(OAuth2ClientTest, RefreshReturnsNewAccessTokenAndRotatedRefreshToken) {
  const TokenSet first = authorized_tokens(false);
  const TokenSet second = refresh(http_, endpoints(true), first.refresh_token, kTimeout);
  EXPECT_FALSE(second.access_token.empty());
  EXPECT_NE(second.access_token, first.access_token);
  EXPECT_FALSE(second.refresh_token.empty());
  EXPECT_NE(second.refresh_token, first.refresh_token);
  EXPECT_TRUE(second.refresh_token_rotated);

  const auto tokens = requests("token");
  ASSERT_EQ(tokens.size(), 2U);
  EXPECT_EQ(str(tokens[1], "grant_type"), "refresh_token");
  EXPECT_EQ(str(tokens[1], "client_auth"), "basic");
  EXPECT_EQ(str(tokens[1].at("body").as_object(), "refresh_token"), first.refresh_token);

  // The rotated token works in turn.
  EXPECT_NO_THROW(refresh(http_, endpoints(false), second.refresh_token, kTimeout));
}

TEST_F(OAuth2ClientTest, RefreshWithoutANewRefreshTokenKeepsTheOldOne) {
  const TokenSet first = authorized_tokens(false);
  control("POST", "/next-token-response", R"({"omit_refresh_token": true})");
  const TokenSet second = refresh(http_, endpoints(false), first.refresh_token, kTimeout);
  EXPECT_NE(second.access_token, first.access_token);
  EXPECT_EQ(second.refresh_token, first.refresh_token);
  EXPECT_FALSE(second.refresh_token_rotated);
  EXPECT_EQ(second.raw_json.find("refresh_token"), std::string::npos);
}

TEST_F(OAuth2ClientTest, RevokedRefreshTokenIsInvalidGrantNeedingReauthorization) {
  const TokenSet t = authorized_tokens(false);
  revoke(http_, endpoints(true), t.refresh_token, "refresh_token", kTimeout);

  const auto revocations = requests("revoke");
  ASSERT_EQ(revocations.size(), 1U);
  EXPECT_EQ(str(revocations[0], "client_auth"), "basic");
  EXPECT_EQ(str(revocations[0], "client_secret"), kClientSecret);
  EXPECT_EQ(str(revocations[0].at("body").as_object(), "token"), t.refresh_token);
  EXPECT_EQ(str(revocations[0].at("body").as_object(), "token_type_hint"), "refresh_token");

  try {
    refresh(http_, endpoints(false), t.refresh_token, kTimeout);
    FAIL() << "a revoked refresh token was accepted";
  } catch (const TokenError& err) {
    EXPECT_EQ(err.error(), "invalid_grant");
    EXPECT_EQ(err.http_status(), 400);
    EXPECT_TRUE(err.needs_reauthorization());
    EXPECT_FALSE(err.transient());
    EXPECT_FALSE(err.description().empty());
    EXPECT_EQ(std::string(err.what()).find(t.refresh_token), std::string::npos);
  }
}

TEST_F(OAuth2ClientTest, UnknownRefreshTokenIsInvalidGrant) {
  try {
    refresh(http_, endpoints(false), "never-issued", kTimeout);
    FAIL();
  } catch (const TokenError& err) {
    EXPECT_EQ(err.error(), "invalid_grant");
    EXPECT_TRUE(err.needs_reauthorization());
  }
}

TEST_F(OAuth2ClientTest, ClientCredentialsGrant) {
  auto e = endpoints(false);
  e.scopes = {"reports.read", "reports.write"};
  const TokenSet t = client_credentials(http_, e, kTimeout);
  EXPECT_FALSE(t.access_token.empty());
  EXPECT_TRUE(t.refresh_token.empty());
  ASSERT_TRUE(t.expires_in);
  const auto tokens = requests("token");
  ASSERT_EQ(tokens.size(), 1U);
  EXPECT_EQ(str(tokens[0], "grant_type"), "client_credentials");
  EXPECT_EQ(str(tokens[0], "client_auth"), "body");
  EXPECT_EQ(str(tokens[0].at("body").as_object(), "scope"), "reports.read reports.write");

  e.basic_token_auth = true;
  EXPECT_NO_THROW(client_credentials(http_, e, kTimeout));
  EXPECT_EQ(str(requests("token").at(1), "client_auth"), "basic");
}

TEST_F(OAuth2ClientTest, ExpiresInFromTheServerIsHonoured) {
  control("POST", "/config", R"({"expires_in": 5})");
  const auto before = std::chrono::system_clock::now();
  const TokenSet t = client_credentials(http_, endpoints(false), kTimeout);
  ASSERT_TRUE(t.expires_in);
  EXPECT_EQ(*t.expires_in, 5);
  EXPECT_EQ(*t.expires_at(before), before + 5s);
  EXPECT_TRUE(needs_refresh(t.expires_at(before), before, 60s)) << "within the refresh buffer";
  EXPECT_FALSE(needs_refresh(t.expires_at(before), before, 1s));

  const TokenSet r = refresh(http_, endpoints(false), authorized_tokens(false).refresh_token, kTimeout);
  EXPECT_EQ(r.expires_in, 5);

  // Some providers send expires_in as a string.
  control("POST", "/next-token-response",
          R"({"status": 200, "body": {"access_token": "at", "token_type": "bearer", "expires_in": "120"}})");
  EXPECT_EQ(client_credentials(http_, endpoints(false), kTimeout).expires_in, 120);
}

TEST_F(OAuth2ClientTest, ErrorResponsesBecomeTokenErrors) {
  const auto expect_error = [&](const std::string& next, const std::string& error, int status) {
    if (!next.empty()) control("POST", "/next-token-response", next);
    try {
      client_credentials(http_, endpoints(false), kTimeout);
      ADD_FAILURE() << "no error for " << next;
      return TokenError("", "", 0);
    } catch (const TokenError& err) {
      EXPECT_EQ(err.error(), error) << next;
      EXPECT_EQ(err.http_status(), status) << next;
      EXPECT_EQ(std::string(err.what()).find(kClientSecret), std::string::npos);
      return err;
    }
  };
  const auto scope = expect_error(
      R"({"status": 400, "body": {"error": "invalid_scope", "error_description": "scope x is unknown"}})",
      "invalid_scope", 400);
  EXPECT_EQ(scope.description(), "scope x is unknown");
  EXPECT_FALSE(scope.needs_reauthorization());

  EXPECT_TRUE(
      expect_error(R"({"status": 400, "body": {"error": "unauthorized_client"}})", "unauthorized_client", 400)
          .needs_reauthorization());
  // GitHub answers some errors with 200.
  expect_error(R"({"status": 200, "body": {"error": "bad_verification_code"}})", "bad_verification_code",
               200);
  expect_error(R"({"status": 200, "body": {"token_type": "Bearer"}})", "server_error", 200);
  expect_error(R"({"status": 200, "body": ["not", "an", "object"]})", "server_error", 200);
  EXPECT_TRUE(expect_error(R"({"status": 503, "body": "busy"})", "temporarily_unavailable", 503).transient());
  expect_error(R"({"status": 302, "body": {}})", "server_error", 302);

  // Not a token endpoint at all: the server's bare 404.
  auto e = endpoints(false);
  e.token_url = server_->base() + "/no-such-endpoint";
  try {
    client_credentials(http_, e, kTimeout);
    FAIL();
  } catch (const TokenError& err) {
    EXPECT_EQ(err.error(), "server_error");
    EXPECT_EQ(err.http_status(), 404);
  }

  // Nobody listening.
  e.token_url = "http://127.0.0.1:1/token";
  try {
    client_credentials(http_, e, kTimeout);
    FAIL();
  } catch (const TokenError& err) {
    EXPECT_EQ(err.error(), "temporarily_unavailable");
    EXPECT_EQ(err.http_status(), 0);
    EXPECT_TRUE(err.transient());
  }
}

TEST_F(OAuth2ClientTest, RevokeWithoutRevocationUrlDoesNothing) {
  auto e = endpoints(false);
  e.revocation_url.clear();
  revoke(http_, e, "some-token", "access_token", kTimeout);
  EXPECT_TRUE(requests("revoke").empty());

  revoke(http_, endpoints(false), "some-token", "", kTimeout);
  const auto revocations = requests("revoke");
  ASSERT_EQ(revocations.size(), 1U);
  EXPECT_EQ(str(revocations[0], "client_auth"), "body");
  EXPECT_FALSE(revocations[0].at("body").as_object().contains("token_type_hint"));
}

}  // namespace

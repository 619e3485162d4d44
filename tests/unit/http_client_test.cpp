// The pooled client against a real HTTP server on 127.0.0.1 (Poco's, in this process).
#include "execute/http_client.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

using namespace plugboard::execute;

namespace {

std::atomic<int> g_requests{0};

// Echoes method, path and body; /slow sleeps; /close asks to close the connection.
class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    ++g_requests;
    std::string body;
    Poco::StreamCopier::copyToString(req.stream(), body);
    if (req.getURI() == "/slow") std::this_thread::sleep_for(std::chrono::milliseconds(500));
    if (req.getURI() == "/close") resp.setKeepAlive(false);
    resp.set("X-Seen-Auth", req.get("Authorization", ""));
    std::string out = req.getMethod() + " " + req.getURI() + " " + body;
    resp.setContentLength(static_cast<std::streamsize>(out.size()));
    resp.send() << out;
  }
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler;
  }
};

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    auto* params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(true);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory, socket, params);
    server_->start();
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override { server_->stopAll(true); }
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::string base_;
  HttpClient client_;
};

}  // namespace

TEST_F(HttpClientTest, SendsMethodPathHeadersAndBody) {
  auto r = client_.send({"POST", base_ + "/x?a=1", {{"Authorization", "Bearer t"}}, "hello"},
                        std::chrono::seconds(5));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST /x?a=1 hello");
  EXPECT_EQ(r.header("x-seen-auth"), "Bearer t");
}

TEST_F(HttpClientTest, ReusesConnectionsAndSurvivesServerClosingThem) {
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(client_.send({"GET", base_ + "/a", {}, ""}, std::chrono::seconds(5)).status, 200);
  EXPECT_EQ(client_.send({"GET", base_ + "/close", {}, ""}, std::chrono::seconds(5)).status, 200);
  EXPECT_EQ(client_.send({"GET", base_ + "/after", {}, ""}, std::chrono::seconds(5)).body, "GET /after ");
}

TEST_F(HttpClientTest, TimesOut) {
  try {
    client_.send({"GET", base_ + "/slow", {}, ""}, std::chrono::milliseconds(100));
    FAIL() << "no timeout";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.kind, TransportError::Kind::timeout);
  }
}

TEST_F(HttpClientTest, RefusesBadUrlsAndReportsUnreachableHosts) {
  EXPECT_THROW(client_.send({"GET", "ftp://x/", {}, ""}, std::chrono::seconds(1)), TransportError);
  EXPECT_THROW(client_.send({"GET", "http://user:pw@127.0.0.1/", {}, ""}, std::chrono::seconds(1)),
               TransportError);
  try {
    client_.send({"GET", "http://127.0.0.1:1/", {}, ""}, std::chrono::seconds(1));
    FAIL() << "connected to port 1";
  } catch (const TransportError& e) {
    EXPECT_EQ(e.kind, TransportError::Kind::transport);
  }
}

TEST_F(HttpClientTest, ManyThreadsShareThePool) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i)
        if (client_.send({"GET", base_ + "/p", {}, ""}, std::chrono::seconds(5)).status == 200) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 200);
}

// TLS through NetSSL against a real HTTPS server whose certificate comes from a private CA.
#include <Poco/Net/SecureServerSocket.h>

#include <cstdlib>
#include <filesystem>

namespace {

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("pb_tls_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    const std::string d = dir_.string();
    // A CA, and a server certificate for 127.0.0.1 signed by it.
    const std::string script =
        "cd " + d + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=TestCA" +
        " 2>/dev/null && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1" +
        " 2>/dev/null && printf 'subjectAltName=IP:127.0.0.1' > san.ext && openssl x509 -req -in server.csr -CA ca.pem" +
        " -CAkey ca.key -CAcreateserial -out server.pem -days 1 -extfile san.ext 2>/dev/null";
    ASSERT_EQ(std::system(script.c_str()), 0);
    Poco::Net::initializeSSL();
    auto ctx = Poco::Net::Context::Ptr(new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, d + "/server.key",
                                                              d + "/server.pem", "", Poco::Net::Context::VERIFY_NONE));
    Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, ctx);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory, socket, new Poco::Net::HTTPServerParams);
    server_->start();
    url_ = "https://127.0.0.1:" + std::to_string(server_->port()) + "/tls";
  }
  void TearDown() override {
    if (server_) server_->stopAll(true);
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::string url_;
};

}  // namespace

TEST_F(TlsTest, TrustsAPrivateCaWhenConfigured) {
  HttpClientOptions opts;
  opts.ca_file = (dir_ / "ca.pem").string();
  HttpClient client(opts);
  auto r = client.send({"POST", url_, {}, "secret"}, std::chrono::seconds(5));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST /tls secret");
}

TEST_F(TlsTest, RefusesACertificateItCannotVerify) {
  HttpClient client;
  EXPECT_THROW(client.send({"GET", url_, {}, ""}, std::chrono::seconds(5)), TransportError);
}

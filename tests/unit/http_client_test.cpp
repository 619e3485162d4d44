// The pooled client against a real HTTP server on 127.0.0.1 (Poco's, in this process).
#include "net/http_client.hpp"

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

using namespace plugboard::net;

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
        "cd " + d +
        " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=TestCA" +
        " 2>/dev/null && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "
        "/CN=127.0.0.1" +
        " 2>/dev/null && printf 'subjectAltName=IP:127.0.0.1' > san.ext && openssl x509 -req -in server.csr "
        "-CA ca.pem" +
        " -CAkey ca.key -CAcreateserial -out server.pem -days 1 -extfile san.ext 2>/dev/null";
    ASSERT_EQ(std::system(script.c_str()), 0);
    Poco::Net::initializeSSL();
    auto ctx = Poco::Net::Context::Ptr(new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE,
                                                              d + "/server.key", d + "/server.pem", "",
                                                              Poco::Net::Context::VERIFY_NONE));
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

// Framing the client must get right, against a raw socket peer that answers with canned bytes.
namespace {

class CannedPeer {
 public:
  explicit CannedPeer(std::vector<std::string> answers) : answers_(std::move(answers)) {
    socket_.bind(Poco::Net::SocketAddress("127.0.0.1", 0));
    socket_.listen();
    thread_ = std::thread([this] { serve(); });
  }
  ~CannedPeer() {
    socket_.close();
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + path;
  }
  int connections() const { return connections_; }

 private:
  void serve() {
    std::size_t next = 0;
    while (next < answers_.size()) {
      Poco::Net::StreamSocket s;
      try {
        s = socket_.acceptConnection();
      } catch (...) {
        return;
      }
      ++connections_;
      s.setReceiveTimeout(Poco::Timespan(2, 0));  // never outlive a failed test
      std::string in;
      char buf[4096];
      while (next < answers_.size()) {
        // One request per answer: headers up to the blank line (the tests send no bodies).
        try {
          while (in.find("\r\n\r\n") == std::string::npos) {
            int n = s.receiveBytes(buf, sizeof buf);
            if (n <= 0) break;
            in.append(buf, static_cast<std::size_t>(n));
          }
        } catch (const Poco::Exception&) {
          break;
        }
        if (in.find("\r\n\r\n") == std::string::npos) break;
        in.erase(0, in.find("\r\n\r\n") + 4);
        const std::string& answer = answers_[next++];
        s.sendBytes(answer.data(), static_cast<int>(answer.size()));
        // As a server does: close after HTTP/1.0 and after "Connection: close".
        if (answer.rfind("HTTP/1.0", 0) == 0 || answer.find("Connection: close") != std::string::npos) break;
      }
      s.close();
    }
  }
  Poco::Net::ServerSocket socket_;
  std::vector<std::string> answers_;
  std::thread thread_;
  std::atomic<int> connections_{0};
};

}  // namespace

TEST(HttpFraming, ChunkedInterimAndKeepAlive) {
  CannedPeer peer(
      {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
       "X-A: 1\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n",
       "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop"});
  HttpClient client;
  auto a = client.send({"GET", peer.url("/a"), {}, ""}, std::chrono::seconds(5));
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "hello world");
  EXPECT_EQ(a.header("x-a"), "1");
  auto b = client.send({"GET", peer.url("/b"), {}, ""}, std::chrono::seconds(5));
  EXPECT_EQ(b.status, 404);
  EXPECT_EQ(b.body, "nop");
  EXPECT_EQ(peer.connections(), 1);  // the second request reused the first connection
}

TEST(HttpFraming, BodyUntilCloseAndHttp10) {
  CannedPeer peer({"HTTP/1.0 200 OK\r\n\r\nuntil the end", "HTTP/1.1 204 No Content\r\n\r\n"});
  HttpClient client;
  auto a = client.send({"GET", peer.url("/a"), {}, ""}, std::chrono::seconds(5));
  EXPECT_EQ(a.body, "until the end");
  auto b = client.send({"DELETE", peer.url("/b"), {}, ""}, std::chrono::seconds(5));
  EXPECT_EQ(b.status, 204);
  EXPECT_EQ(peer.connections(), 2);  // HTTP/1.0 without keep-alive is not reused
}

TEST(HttpFraming, OversizedAndMalformedResponsesAreErrors) {
  HttpClientOptions small;
  small.max_response_bytes = 4;
  CannedPeer peer({"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", "garbage\r\n\r\n"});
  HttpClient client(small);
  EXPECT_THROW(client.send({"GET", peer.url("/a"), {}, ""}, std::chrono::seconds(5)), TransportError);
  EXPECT_THROW(client.send({"GET", peer.url("/b"), {}, ""}, std::chrono::seconds(5)), TransportError);
}

TEST(HttpFraming, HeaderInjectionIsRefused) {
  HttpClient client;
  EXPECT_THROW(
      client.send({"GET", "http://127.0.0.1:1/", {{"X-A", "a\r\nX-B: b"}}, ""}, std::chrono::seconds(1)),
      TransportError);
  EXPECT_THROW(client.send({"GET", "http://127.0.0.1:1/a b", {}, ""}, std::chrono::seconds(1)),
               TransportError);
}

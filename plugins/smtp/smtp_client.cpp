#include "smtp_client.hpp"

#include "mime.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/host_name.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <set>

namespace smtp {

namespace asio = boost::asio;
namespace json = boost::json;
using plugboard::ActionError;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxLine = std::size_t{64} * 1024;  // one reply line
constexpr std::size_t kMaxReplyLines = 1000;              // one multi-line reply
constexpr std::size_t kMaxMessageText = 500;              // server text copied into an error

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// A name for EHLO: this host's name when it is a plain DNS name, else an address literal.
std::string ehlo_name() {
  boost::system::error_code ec;
  std::string name = asio::ip::host_name(ec);
  const bool ok =
      !ec && !name.empty() && name.size() < 254 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
      });
  return ok ? name : "[127.0.0.1]";
}

// The TLS client context: TLS 1.2 or later, the server's certificate checked against the
// system's CAs (or tls_ca_file / tls_ca_pem) unless tls_verify is false.
asio::ssl::context make_tls_context(const Settings& s) {
  asio::ssl::context tls(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1,
                  ec);
  if (s.tls == TlsMode::none) return tls;
  if (!s.tls_verify) {
    tls.set_verify_mode(asio::ssl::verify_none, ec);
    return tls;
  }
  tls.set_verify_mode(asio::ssl::verify_peer, ec);
  if (!s.tls_ca_pem.empty())
    tls.add_certificate_authority(asio::buffer(s.tls_ca_pem), ec);
  else if (!s.tls_ca_file.empty())
    tls.load_verify_file(s.tls_ca_file, ec);
  else
    tls.set_default_verify_paths(ec);
  if (ec) {
    json::object d;
    d["stage"] = "tls";
    d["retryable"] = false;
    d["reason"] = ec.message();
    throw ActionError{"SMTP_TLS_FAILED", "the trusted CA certificates could not be loaded", std::move(d)};
  }
  return tls;
}

}  // namespace

std::string Reply::text() const {
  std::string out;
  for (const auto& l : lines) {
    if (!out.empty()) out += "; ";
    out += l;
  }
  return out;
}

struct Client::Impl {
  const Settings& s;
  const plugboard::Context& ctx;
  asio::io_context io;
  asio::ssl::context tls_ctx;
  asio::ssl::stream<tcp::socket> stream{io, tls_ctx};
  tcp::resolver resolver{io};
  bool tls_active = false;
  bool broken = false;  // an operation timed out: its handler may still be pending, never run io again
  std::string inbuf;
  Clock::time_point deadline;
  std::set<std::string> extensions;       // EHLO keywords, upper case
  std::vector<std::string> auth_offered;  // AUTH mechanisms, upper case
  std::optional<std::uint64_t> size;
  std::string server;
  std::string mechanism;
  std::vector<std::string> secrets;  // never let these reach a message

  Impl(const Settings& settings, const plugboard::Context& c)
      : s(settings), ctx(c), tls_ctx(make_tls_context(settings)) {
    if (!s.password.empty()) {
      secrets.push_back(s.password);
      secrets.push_back(base64_encode(s.password));
      secrets.push_back(base64_encode(std::string(1, '\0') + s.username + std::string(1, '\0') + s.password));
    }
  }

  std::string scrub(std::string text) const {
    for (const auto& secret : secrets) {
      if (secret.empty()) continue;
      for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos))
        text.replace(pos, secret.size(), "[REDACTED]");
    }
    if (text.size() > kMaxMessageText) text = text.substr(0, kMaxMessageText) + "...";
    return text;
  }

  std::string where() const { return s.host + ":" + std::to_string(s.port); }

  ActionError failure(std::string code, const std::string& message, const std::string& stage, bool retryable,
                      const std::string& reason = {}) const {
    json::object d;
    d["stage"] = stage;
    d["server"] = where();
    d["retryable"] = retryable;
    if (!reason.empty()) d["reason"] = scrub(reason);
    return {std::move(code), scrub(message), std::move(d)};
  }

  ActionError unreachable(const std::string& stage, const boost::system::error_code& ec) const {
    return failure("SMTP_UNREACHABLE", "the SMTP server " + where() + " could not be reached (" + stage + ")",
                   stage, true, ec.message());
  }

  ActionError out_of_time(const std::string& stage) const {
    return failure("DEADLINE_EXCEEDED",
                   "the action ran out of time talking to the SMTP server (" + stage + ")", stage, true);
  }

  // Runs one asynchronous operation to completion or until the deadline. `start` receives a
  // completion handler taking (error_code, ...).
  template <class Start>
  boost::system::error_code run(const std::string& stage, Start&& start) {
    if (broken || ctx.cancelled() || Clock::now() >= deadline) throw out_of_time(stage);
    boost::system::error_code result = asio::error::would_block;
    bool done = false;
    start([&result, &done](const boost::system::error_code& ec, auto&&...) {
      result = ec;
      done = true;
    });
    io.restart();
    io.run_until(deadline);
    if (!done) {
      // Abort the operation and give its handler a moment to run. A name lookup cannot be
      // interrupted, so its handler may stay pending: the session is marked broken and the
      // io_context never runs again (its destructor discards the handler unrun).
      boost::system::error_code ignored;
      resolver.cancel();
      stream.lowest_layer().close(ignored);
      io.restart();
      io.run_for(std::chrono::milliseconds(50));
      broken = true;
      throw out_of_time(stage);
    }
    return result;
  }

  void write(const std::string& data, const std::string& stage) {
    auto ec = run(stage, [&](auto handler) {
      if (tls_active)
        asio::async_write(stream, asio::buffer(data), std::move(handler));
      else
        asio::async_write(stream.next_layer(), asio::buffer(data), std::move(handler));
    });
    if (ec) throw unreachable(stage, ec);
  }

  std::string read_line(const std::string& stage) {
    std::array<char, 4096> chunk{};
    while (true) {
      if (auto nl = inbuf.find('\n'); nl != std::string::npos) {
        std::string line = inbuf.substr(0, nl);
        inbuf.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      if (inbuf.size() > kMaxLine)
        throw failure("SMTP_PROTOCOL_ERROR", "the SMTP server sent an over-long reply line", stage, false);
      std::size_t got = 0;
      auto ec = run(stage, [&](auto handler) {
        auto done = [&got, h = std::move(handler)](const boost::system::error_code& e,
                                                   std::size_t n) mutable {
          got = n;
          h(e, n);
        };
        if (tls_active)
          stream.async_read_some(asio::buffer(chunk), std::move(done));
        else
          stream.next_layer().async_read_some(asio::buffer(chunk), std::move(done));
      });
      if (ec) {
        if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated)
          throw failure("SMTP_UNREACHABLE", "the SMTP server closed the connection (" + stage + ")", stage,
                        true);
        throw unreachable(stage, ec);
      }
      inbuf.append(chunk.data(), got);
    }
  }

  Reply read_reply(const std::string& stage) {
    Reply r;
    while (true) {
      std::string line = read_line(stage);
      int code = 0;
      auto [end, ec] =
          std::from_chars(line.data(), line.data() + std::min<std::size_t>(3, line.size()), code);
      if (line.size() < 3 || ec != std::errc() || end != line.data() + 3 || code < 200 || code > 599 ||
          (line.size() > 3 && line[3] != ' ' && line[3] != '-'))
        throw failure("SMTP_PROTOCOL_ERROR", "the SMTP server sent something that is not an SMTP reply",
                      stage, false, line.substr(0, 200));
      if (r.lines.empty()) r.code = code;
      r.lines.push_back(line.size() > 4 ? line.substr(4) : std::string());
      if (line.size() == 3 || line[3] == ' ') return r;
      if (r.lines.size() > kMaxReplyLines)
        throw failure("SMTP_PROTOCOL_ERROR", "the SMTP server sent an over-long reply", stage, false);
    }
  }

  Reply command(const std::string& line, const std::string& stage) {
    write(line + "\r\n", stage);
    return read_reply(stage);
  }

  Reply expect(const std::string& line, const std::string& stage, int code) {
    Reply r = command(line, stage);
    if (r.code != code) throw reply_error(r, stage);
    return r;
  }

  ActionError reply_error(const Reply& r, const std::string& stage) const {
    const bool temporary = r.code / 100 == 4;
    std::string code = stage == "auth" ? "SMTP_AUTH_FAILED"
                       : temporary     ? "SMTP_TEMPORARY_FAILURE"
                                       : "SMTP_REJECTED";
    std::string message = stage == "auth"
                              ? "the SMTP server refused the credentials"
                              : "the SMTP server answered " + std::to_string(r.code) + " to " + stage;
    ActionError e = failure(std::move(code), message + ": " + r.text(), stage, temporary);
    e.details["smtp_code"] = r.code;
    e.details["smtp_message"] = scrub(r.text());
    return e;
  }

  // Server name indication and host name checking; the context itself was configured before
  // the stream existed (an SSL object copies its context's verify mode and options when made).
  void configure_stream() {
    boost::system::error_code ec;
    if (s.tls_verify) {
      stream.set_verify_mode(asio::ssl::verify_peer, ec);
      stream.set_verify_callback(asio::ssl::host_name_verification(s.host), ec);
    }
    boost::system::error_code not_ip;
    asio::ip::make_address(s.host, not_ip);
    if (not_ip) SSL_set_tlsext_host_name(stream.native_handle(), s.host.c_str());
  }

  void handshake() {
    configure_stream();
    auto ec = run("tls", [&](auto handler) {
      stream.async_handshake(asio::ssl::stream_base::client, std::move(handler));
    });
    if (ec) {
      std::string reason = ec.message();
      if (ec.category() == asio::error::get_ssl_category()) {
        long v = SSL_get_verify_result(stream.native_handle());
        if (v != X509_V_OK) reason += " (" + std::string(X509_verify_cert_error_string(v)) + ")";
      }
      throw failure("SMTP_TLS_FAILED", "the TLS handshake with the SMTP server " + where() + " failed", "tls",
                    false, reason);
    }
    tls_active = true;
  }

  void ehlo() {
    Reply r = expect("EHLO " + ehlo_name(), "ehlo", 250);
    extensions.clear();
    auth_offered.clear();
    size.reset();
    const auto sp = r.lines.front().find(' ');
    server = r.lines.front().substr(0, sp);
    for (std::size_t i = 1; i < r.lines.size(); ++i) {
      std::string line = upper(r.lines[i]);
      std::string keyword = line.substr(0, line.find_first_of(" ="));
      extensions.insert(keyword);
      if (keyword == "AUTH") {
        std::string rest = line.size() > 5 ? line.substr(5) : std::string();
        std::size_t pos = 0;
        while (pos < rest.size()) {
          auto end = rest.find(' ', pos);
          if (end == std::string::npos) end = rest.size();
          if (end > pos) auth_offered.push_back(rest.substr(pos, end - pos));
          pos = end + 1;
        }
      } else if (keyword == "SIZE" && line.size() > 5) {
        std::uint64_t n = 0;
        auto [end, ec] = std::from_chars(line.data() + 5, line.data() + line.size(), n);
        if (ec == std::errc() && n > 0) size = n;
      }
    }
  }

  bool offers(const std::string& mech) const {
    return std::find(auth_offered.begin(), auth_offered.end(), mech) != auth_offered.end();
  }

  void authenticate() {
    if (auth_offered.empty())
      throw failure(
          "SMTP_AUTH_UNAVAILABLE",
          std::string("the SMTP server does not offer AUTH") +
              (s.tls == TlsMode::none ? " (it may require TLS: set use_tls to starttls or implicit)" : ""),
          "auth", false);
    // Neither command line is ever logged: they carry the password.
    if (offers("PLAIN")) {
      mechanism = "PLAIN";
      std::string token =
          base64_encode(std::string(1, '\0') + s.username + std::string(1, '\0') + s.password);
      Reply r = command("AUTH PLAIN " + token, "auth");
      if (r.code == 334) r = command(token, "auth");  // a server that wants the response on its own line
      if (r.code != 235) throw reply_error(r, "auth");
    } else if (offers("LOGIN")) {
      mechanism = "LOGIN";
      Reply r = command("AUTH LOGIN", "auth");
      if (r.code == 334) r = command(base64_encode(s.username), "auth");
      if (r.code == 334) r = command(base64_encode(s.password), "auth");
      if (r.code != 235) throw reply_error(r, "auth");
    } else {
      std::string list;
      for (const auto& m : auth_offered) list += (list.empty() ? "" : " ") + m;
      throw failure(
          "SMTP_AUTH_UNAVAILABLE",
          "the SMTP server offers no AUTH mechanism this plugin speaks (PLAIN, LOGIN); it offers: " + list,
          "auth", false);
    }
  }

  void open() {
    const auto left = ctx.remaining();
    if (left.count() <= 0) throw out_of_time("connect");
    deadline = Clock::now() + left;

    tcp::resolver::results_type endpoints;
    auto ec = run("resolve", [&](auto handler) {
      resolver.async_resolve(
          s.host, std::to_string(s.port),
          [&endpoints, h = std::move(handler)](const boost::system::error_code& e,
                                               tcp::resolver::results_type results) mutable {
            endpoints = std::move(results);
            h(e);
          });
    });
    if (ec) throw unreachable("resolve", ec);
    ec = run("connect", [&](auto handler) {
      asio::async_connect(stream.next_layer(), endpoints,
                          [h = std::move(handler)](const boost::system::error_code& e,
                                                   const tcp::endpoint&) mutable { h(e); });
    });
    if (ec) throw unreachable("connect", ec);

    if (s.tls == TlsMode::implicit) handshake();
    Reply greeting = read_reply("greeting");
    if (greeting.code != 220) throw reply_error(greeting, "greeting");
    ehlo();
    if (s.tls == TlsMode::starttls) {
      if (extensions.count("STARTTLS") == 0)
        throw failure("SMTP_TLS_UNAVAILABLE",
                      "the SMTP server " + where() +
                          " does not offer STARTTLS; set use_tls to implicit (port 465) or none",
                      "starttls", false);
      expect("STARTTLS", "starttls", 220);
      inbuf.clear();  // nothing sent before the handshake may be trusted (RFC 3207 4.2)
      handshake();
      ehlo();
    }
    if (!s.username.empty()) authenticate();
  }
};

Client::Client(const Settings& settings, const plugboard::Context& ctx)
    : impl_(std::make_unique<Impl>(settings, ctx)) {}

Client::~Client() = default;

void Client::open() { impl_->open(); }

void Client::mail_from(const std::string& address) {
  std::string line = "MAIL FROM:<" + address + ">";
  impl_->expect(line, "mail_from", 250);
}

Reply Client::rcpt_to(const std::string& address) {
  return impl_->command("RCPT TO:<" + address + ">", "rcpt_to");
}

Reply Client::data(const std::string& message) {
  impl_->expect("DATA", "data", 354);
  std::string out;
  out.reserve(message.size() + message.size() / 64 + 8);
  bool line_start = true;
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (line_start && message[i] == '.') out += '.';  // dot-stuffing (RFC 5321 4.5.2)
    out += message[i];
    line_start = message[i] == '\n';
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  out += ".\r\n";
  impl_->write(out, "data");
  Reply r = impl_->read_reply("data");
  if (r.code != 250) throw impl_->reply_error(r, "data");
  return r;
}

void Client::quit() noexcept {
  try {
    // A short grace: the message is already accepted, QUIT must not make the call fail or wait.
    impl_->deadline = std::min(impl_->deadline, Clock::now() + std::chrono::seconds(2));
    impl_->command("QUIT", "quit");
  } catch (...) {
  }
  boost::system::error_code ignored;
  impl_->stream.lowest_layer().close(ignored);
}

const std::string& Client::server_name() const { return impl_->server; }
const std::string& Client::auth_mechanism() const { return impl_->mechanism; }
std::optional<std::uint64_t> Client::size_limit() const { return impl_->size; }

ActionError Client::reply_error(const Reply& reply, const std::string& stage) const {
  return impl_->reply_error(reply, stage);
}

}  // namespace smtp

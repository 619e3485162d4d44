#include "http/listen_socket.hpp"

#include "http/server.hpp"
#include "http/tls_credentials.hpp"

#include <Poco/Net/Context.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>

#include <filesystem>
#include <mutex>

namespace plugboard::http {
namespace {

Poco::Net::Context::Ptr tls_context(const ServerOptions& o) {
  for (const auto* f : {&o.tls_cert_file, &o.tls_key_file}) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(*f, ec))
      throw TlsConfigError("TLS file " + *f + " does not exist or is not a regular file");
  }
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
  Poco::Net::Context::Params params;
  params.privateKeyFile = o.tls_key_file;
  params.certificateFile = o.tls_cert_file;
  params.verificationMode = Poco::Net::Context::VERIFY_NONE;  // clients authenticate with API keys
  params.loadDefaultCAs = false;
  params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
  try {
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
    ctx->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                          Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
    ctx->enableSessionCache(true, "plugboard");
    return ctx;
  } catch (const Poco::Exception& e) {
    // OpenSSL names what failed (no PEM, key does not match the certificate); never the key.
    throw TlsConfigError("cannot use TLS certificate " + o.tls_cert_file + " with key " + o.tls_key_file +
                         ": " + e.displayText());
  }
}

}  // namespace

Poco::Net::ServerSocket listen_socket(const ServerOptions& o, TlsCredentials* credentials) {
  const Poco::Net::SocketAddress address(o.host, o.port);
  if (!o.tls()) {
    Poco::Net::ServerSocket socket;
    socket.bind(address, true);
    socket.listen(o.max_queued);
    return socket;
  }
  Poco::Net::Context::Ptr context = tls_context(o);
  if (credentials) credentials->serve_from(context->sslContext());
  Poco::Net::SecureServerSocket socket(context);
  socket.bind(address, true);
  socket.listen(o.max_queued);
  return socket;
}

}  // namespace plugboard::http

#include "http/tls_credentials.hpp"

#include "http/listen_socket.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdio>
#include <memory>
#include <vector>

namespace plugboard::http {

struct TlsCredentials::Pair {
  X509* cert = nullptr;
  STACK_OF(X509) * chain = nullptr;  // intermediates after the leaf, may be empty
  EVP_PKEY* key = nullptr;
  Pair() = default;
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;
  ~Pair() {
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
    EVP_PKEY_free(key);
  }
};

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

std::string openssl_reason() {
  const unsigned long code = ERR_get_error();  // NOLINT(google-runtime-int): OpenSSL's type
  ERR_clear_error();
  if (code == 0) return "no PEM data found";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

std::unique_ptr<BIO, BioFree> open_pem(const std::string& file) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_file(file.c_str(), "r"));
  if (!bio) throw TlsConfigError("cannot read TLS file " + file + ": " + openssl_reason());
  return bio;
}

std::shared_ptr<const TlsCredentials::Pair> load_pair(const std::string& cert_file,
                                                      const std::string& key_file) {
  ERR_clear_error();
  auto pair = std::make_shared<TlsCredentials::Pair>();
  {
    auto bio = open_pem(cert_file);
    pair->cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (!pair->cert)
      throw TlsConfigError("TLS certificate " + cert_file + " is not usable: " + openssl_reason());
    pair->chain = sk_X509_new_null();
    while (X509* next = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
      sk_X509_push(pair->chain, next);
    ERR_clear_error();  // the end of the file reads as an error
  }
  {
    auto bio = open_pem(key_file);
    // No passphrase callback: an encrypted key is refused rather than prompted for.
    pair->key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
    if (!pair->key) throw TlsConfigError("TLS key " + key_file + " is not usable: " + openssl_reason());
  }
  if (X509_check_private_key(pair->cert, pair->key) != 1)
    throw TlsConfigError("TLS key " + key_file + " does not match the certificate " + cert_file);
  return pair;
}

}  // namespace

TlsCredentials::TlsCredentials(std::string cert_file, std::string key_file)
    : cert_file_(std::move(cert_file)),
      key_file_(std::move(key_file)),
      pair_(load_pair(cert_file_, key_file_)) {}

TlsCredentials::~TlsCredentials() = default;

void TlsCredentials::reload() {
  auto fresh = load_pair(cert_file_, key_file_);  // throws before anything changes
  const std::lock_guard lock(mu_);
  pair_ = std::move(fresh);
}

std::shared_ptr<const TlsCredentials::Pair> TlsCredentials::current() const {
  const std::lock_guard lock(mu_);
  return pair_;
}

void TlsCredentials::serve_from(SSL_CTX* ctx) {
  SSL_CTX_set_cert_cb(ctx, &TlsCredentials::on_handshake, this);
}

int TlsCredentials::on_handshake(SSL* ssl, void* self) {
  const auto pair = static_cast<TlsCredentials*>(self)->current();
  // SSL_use_cert_and_key takes its own references: the pair may be replaced right after.
  return SSL_use_cert_and_key(ssl, pair->cert, pair->key, pair->chain, 1) == 1 ? 1 : 0;
}

std::string TlsCredentials::describe() const {
  const auto pair = current();
  char subject[256] = {};
  X509_NAME_oneline(X509_get_subject_name(pair->cert), subject, sizeof subject);
  std::string serial;
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(pair->cert), nullptr)) {
    if (char* hex = BN_bn2hex(bn)) {
      serial = hex;
      OPENSSL_free(hex);
    }
    BN_free(bn);
  }
  return std::string(subject) + " serial " + serial;
}

}  // namespace plugboard::http

#include "events/webhook_signature.hpp"

#include "vault/random.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace plugboard::events {

std::string webhook_signature(std::string_view secret, std::int64_t timestamp, std::string_view body) {
  std::string message = std::to_string(timestamp);
  message += '.';
  message += body;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &len) == nullptr)
    throw std::runtime_error("HMAC-SHA256 failed");
  return "v1=" + vault::hex_encode(std::string_view(reinterpret_cast<const char*>(out), len));
}

}  // namespace plugboard::events

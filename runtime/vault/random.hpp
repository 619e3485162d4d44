// Randomness, encodings and digests shared by the vault and its callers.
// Every function is thread-safe; randomness comes from OpenSSL's CSPRNG only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace plugboard::vault {

// n bytes from RAND_bytes; throws std::runtime_error if the CSPRNG fails (never falls back).
std::string random_bytes(std::size_t n);

// Lowercase hex of nbytes random bytes (2 * nbytes characters).
std::string random_hex(std::size_t nbytes);

// RFC 4122 version 4 UUID, lowercase ("xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx").
std::string new_uuid();

// Standard alphabet with '=' padding.
std::string base64_encode(std::string_view bytes);

// Accepts padded or unpadded standard base64; throws std::invalid_argument on any other
// character, misplaced padding, impossible length or non-zero trailing bits, so that every
// accepted text has exactly one decoding.
std::string base64_decode(std::string_view text);

// Lowercase hex of the bytes.
std::string hex_encode(std::string_view bytes);

// Lowercase hex SHA-256 of the bytes.
std::string sha256_hex(std::string_view bytes);

}  // namespace plugboard::vault

// Building the message: addresses, RFC 5322 headers (RFC 2047 for non-ASCII names and subjects),
// MIME parts (quoted-printable text, base64 attachments) and the base64 the attachments arrive in.
// Everything here refuses CR, LF and other control characters in header material, so a
// parameter can never add a header of its own (header injection).
#pragma once

#include <plugboard/sdk.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtp {

struct Address {
  std::string name;   // display name, possibly empty
  std::string email;  // addr-spec: local@domain, ASCII
};

// "user@example.com" or "Name <user@example.com>". Throws ActionError INVALID_PARAMETERS naming
// `field` when it is not an address.
Address parse_address(std::string_view raw, std::string_view field);

struct Attachment {
  std::string filename;
  std::string content_type;  // type/subtype[; parameters]
  std::string data;          // decoded bytes
};

struct Message {
  Address from;
  std::vector<Address> to;
  std::vector<Address> cc;  // bcc never reaches the message: it is envelope only
  std::vector<Address> reply_to;
  std::string subject;
  std::string text;  // text/plain body; empty when absent
  std::string html;  // text/html body; empty when absent
  std::vector<Attachment> attachments;
  std::string message_id;  // "<...@domain>"
};

// The whole message, CRLF line endings, ready for DATA (before dot-stuffing).
std::string render(const Message& m);

// A fresh "<random@domain>" Message-ID.
std::string new_message_id(std::string_view from_email);

std::string base64_encode(std::string_view bytes, bool wrap76 = false);
// Decodes standard base64, ignoring whitespace; nullopt when it is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

// Throws INVALID_PARAMETERS naming `field` when `value` holds a line break or other control
// character (tab allowed).
void check_header_text(std::string_view value, std::string_view field);

}  // namespace smtp

// Where outbound webhooks may go. A webhook URL is typed by an API client, and the server
// sits inside the operator's network: without a check, a webhook is a way to make the server
// POST to its own admin ports, the LAN, or a cloud metadata service (SSRF). So URLs must be
// http(s) and every address their host resolves to must be public, unless the operator
// allows loopback or private ranges (development, tests, on-premises receivers).
//
// The check runs when a webhook is saved and again before each delivery, after resolving the
// host (a name that resolved publicly yesterday may point inside today). The HTTP client then
// resolves the name once more itself, so a DNS server that answers differently within those
// milliseconds (rebinding) is not stopped by this alone; pin receivers by IP to rule that out.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace plugboard::net {

enum class AddressClass {
  global,       // a public address: always allowed
  loopback,     // 127/8, ::1, and 0/8 (which Linux connects to as the local host)
  private_net,  // 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT), fc00::/7
  link_local,   // 169.254/16, fe80::/10
  metadata,     // 169.254.169.254, fd00:ec2::254: never allowed
  other,        // unspecified, multicast, broadcast, reserved: never allowed
};

const char* to_string(AddressClass c);

// Class of an IPv4 or IPv6 literal (IPv4-mapped IPv6 is classified as the IPv4 address);
// nullopt when the text is not an IP address.
std::optional<AddressClass> classify_address(std::string_view ip);

struct EgressOptions {
  bool allow_loopback = false;
  bool allow_private = false;  // also unlocks link-local (never the metadata addresses)
};

class EgressPolicy {
 public:
  explicit EgressPolicy(EgressOptions options = {}) : options_(options) {}

  bool allows(AddressClass c) const;

  // Why the URL may not be used, or nullopt when it may: not http(s), no host, a host that
  // does not resolve, or any resolved address of a refused class (the message names the
  // address and its class). Resolves the host name (blocking, getaddrinfo).
  std::optional<std::string> refusal(const std::string& url) const;

  const EgressOptions& options() const { return options_; }

 private:
  EgressOptions options_;
};

}  // namespace plugboard::net

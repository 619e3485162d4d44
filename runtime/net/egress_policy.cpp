#include "net/egress_policy.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <array>
#include <cctype>
#include <cstdint>
#include <memory>
#include <vector>

namespace plugboard::net {

namespace {

AddressClass classify_v4(const std::array<std::uint8_t, 4>& a) {
  const std::uint32_t v = (std::uint32_t{a[0]} << 24) | (std::uint32_t{a[1]} << 16) |
                          (std::uint32_t{a[2]} << 8) | std::uint32_t{a[3]};
  auto in = [v](std::uint32_t net, int bits) {
    const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
    return (v & mask) == (net & mask);
  };
  if (v == 0xA9FEA9FE) return AddressClass::metadata;  // 169.254.169.254
  if (in(0x7F000000, 8) || in(0x00000000, 8)) return AddressClass::loopback;
  if (in(0x0A000000, 8) || in(0xAC100000, 12) || in(0xC0A80000, 16) || in(0x64400000, 10))
    return AddressClass::private_net;
  if (in(0xA9FE0000, 16)) return AddressClass::link_local;
  if (in(0xE0000000, 4) || in(0xF0000000, 4)) return AddressClass::other;  // multicast, reserved
  return AddressClass::global;
}

AddressClass classify_v6(const std::array<std::uint8_t, 16>& a) {
  static constexpr std::array<std::uint8_t, 16> kMetadata = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0,    0,
                                                             0,    0,    0,    0,    0, 0, 0x02, 0x54};
  static constexpr std::array<std::uint8_t, 16> kZero{};
  auto loopback = kZero;
  loopback[15] = 1;
  if (a == kMetadata) return AddressClass::metadata;
  if (a == loopback) return AddressClass::loopback;
  if (a == kZero) return AddressClass::other;
  // IPv4-mapped (::ffff:a.b.c.d): the kernel connects to the IPv4 address.
  bool mapped = a[10] == 0xff && a[11] == 0xff;
  for (int i = 0; i < 10 && mapped; ++i) mapped = a[static_cast<std::size_t>(i)] == 0;
  if (mapped) return classify_v4({a[12], a[13], a[14], a[15]});
  if ((a[0] & 0xfe) == 0xfc) return AddressClass::private_net;                 // fc00::/7
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return AddressClass::link_local;  // fe80::/10
  if (a[0] == 0xff) return AddressClass::other;                                // multicast
  return AddressClass::global;
}

struct AddrInfoFree {
  void operator()(addrinfo* p) const { freeaddrinfo(p); }
};

// scheme://[userinfo@]host[:port]/... -> host (brackets of an IPv6 literal removed).
std::optional<std::string> host_of(const std::string& url, std::string& scheme) {
  const auto sep = url.find("://");
  if (sep == std::string::npos) return std::nullopt;
  scheme = url.substr(0, sep);
  for (auto& ch : scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::string authority = url.substr(sep + 3, url.find_first_of("/?#", sep + 3) - (sep + 3));
  if (const auto at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    return authority.substr(1, close - 1);
  }
  return authority.substr(0, authority.find(':'));
}

}  // namespace

const char* to_string(AddressClass c) {
  switch (c) {
    case AddressClass::global:
      return "public";
    case AddressClass::loopback:
      return "loopback";
    case AddressClass::private_net:
      return "private";
    case AddressClass::link_local:
      return "link-local";
    case AddressClass::metadata:
      return "cloud metadata";
    case AddressClass::other:
      return "unspecified, multicast or reserved";
  }
  return "unknown";
}

std::optional<AddressClass> classify_address(std::string_view ip) {
  const std::string text(ip);
  std::array<std::uint8_t, 4> v4{};
  if (inet_pton(AF_INET, text.c_str(), v4.data()) == 1) return classify_v4(v4);
  std::array<std::uint8_t, 16> v6{};
  if (inet_pton(AF_INET6, text.c_str(), v6.data()) == 1) return classify_v6(v6);
  return std::nullopt;
}

bool EgressPolicy::allows(AddressClass c) const {
  switch (c) {
    case AddressClass::global:
      return true;
    case AddressClass::loopback:
      return options_.allow_loopback;
    case AddressClass::private_net:
    case AddressClass::link_local:
      return options_.allow_private;
    case AddressClass::metadata:
    case AddressClass::other:
      return false;
  }
  return false;
}

std::optional<std::string> EgressPolicy::refusal(const std::string& url) const {
  std::string scheme;
  const auto host = host_of(url, scheme);
  if (!host || (scheme != "http" && scheme != "https"))
    return "the URL must be an absolute http:// or https:// URL";
  if (host->empty()) return "the URL has no host";
  std::vector<std::string> addresses;
  if (classify_address(*host)) {
    addresses.push_back(*host);
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* raw = nullptr;
    const int rc = getaddrinfo(host->c_str(), nullptr, &hints, &raw);
    std::unique_ptr<addrinfo, AddrInfoFree> list(raw);
    if (rc != 0) return "host " + *host + " does not resolve (" + gai_strerror(rc) + ")";
    for (const addrinfo* p = list.get(); p != nullptr; p = p->ai_next) {
      char buf[INET6_ADDRSTRLEN] = {};
      const void* addr =
          p->ai_family == AF_INET
              ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(p->ai_addr)->sin_addr)
              : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(p->ai_addr)->sin6_addr);
      if ((p->ai_family == AF_INET || p->ai_family == AF_INET6) &&
          inet_ntop(p->ai_family, addr, buf, sizeof buf))
        addresses.emplace_back(buf);
    }
    if (addresses.empty()) return "host " + *host + " resolves to no IP address";
  }
  // Every address, not just the first: the client may connect to any of them.
  for (const auto& a : addresses) {
    const auto c = classify_address(a).value_or(AddressClass::other);
    if (!allows(c)) {
      const std::string subject = a == *host ? a : "host " + *host + " resolves to " + a + ", which";
      std::string why = subject + " is a " + to_string(c) + " address";
      if (c == AddressClass::loopback) why += " (allowed only with webhooks.egress.allow_loopback)";
      if (c == AddressClass::private_net || c == AddressClass::link_local)
        why += " (allowed only with webhooks.egress.allow_private)";
      return "webhook egress refused: " + why;
    }
  }
  return std::nullopt;
}

}  // namespace plugboard::net

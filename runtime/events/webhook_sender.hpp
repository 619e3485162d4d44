// One signed POST of a delivery to a webhook's URL, as every attempt and /test make it:
// egress check after resolving the host, the X-Plugboard-* headers with a fresh timestamp and
// signature, the webhook's own headers, then the host's HTTP client with the configured
// timeout. It never throws for the receiver's sake: every outcome is an AttemptOutcome.
#pragma once

#include "events/webhook_options.hpp"
#include "net/egress_policy.hpp"
#include "net/http_client.hpp"
#include "store/event_records.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace plugboard::events {

// A webhook with its secrets opened, as the sender needs it.
struct WebhookTarget {
  store::WebhookRecord record;
  std::string secret;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct AttemptOutcome {
  bool success = false;    // a 2xx answer
  bool permanent = false;  // refused by the egress policy: trying again cannot help
  std::optional<int> status_code;
  std::string body;  // the receiver's answer, capped at response_body_max bytes
  std::int64_t time_ms = 0;
  std::string error;  // what went wrong when there is no answer (transport, timeout, egress)
  std::string at;     // ISO 8601 time the attempt ended
};

class WebhookSender {
 public:
  WebhookSender(net::HttpClient& client, const WebhookOptions& options);

  AttemptOutcome send(const WebhookTarget& target, const std::string& delivery_id,
                      const std::string& event_type, const std::string& body) const;

  const net::EgressPolicy& egress() const { return egress_; }

 private:
  net::HttpClient& client_;
  net::EgressPolicy egress_;
  std::chrono::milliseconds timeout_;
  std::size_t body_max_;
};

// True for header names Plugboard sets itself (Content-Type, X-Plugboard-*) or the HTTP
// client owns (Host, Content-Length, ...): a webhook's own header of that name is not sent.
bool reserved_header(std::string_view name);

}  // namespace plugboard::events

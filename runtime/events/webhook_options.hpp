// Operator settings of outbound webhook delivery (config `webhooks.*`, see docs/operations.md).
#pragma once

#include "net/egress_policy.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace plugboard::events {

struct WebhookOptions {
  int workers = 4;                           // delivery threads
  std::int64_t disable_after_failures = 20;  // failed deliveries in a row that switch a webhook off; 0: never
  std::chrono::milliseconds timeout{10000};  // one attempt: connect, send, response
  std::size_t response_body_max = 1024;      // bytes of a receiver's answer kept in the delivery log
  net::EgressOptions egress;
};

}  // namespace plugboard::events

#include "events/webhook_sender.hpp"

#include "events/webhook_signature.hpp"
#include "store/iso_time.hpp"

#include <algorithm>
#include <cctype>

namespace plugboard::events {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

bool reserved_header(std::string_view name) {
  const std::string n = lower(name);
  return n == "content-type" || n == "content-length" || n == "host" || n == "transfer-encoding" ||
         n == "connection" || n.rfind("x-plugboard-", 0) == 0;
}

WebhookSender::WebhookSender(net::HttpClient& client, const WebhookOptions& options)
    : client_(client),
      egress_(options.egress),
      timeout_(options.timeout),
      body_max_(options.response_body_max) {}

AttemptOutcome WebhookSender::send(const WebhookTarget& target, const std::string& delivery_id,
                                   const std::string& event_type, const std::string& body) const {
  AttemptOutcome out;
  const auto started = std::chrono::steady_clock::now();
  auto finish = [&] {
    out.time_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
            .count();
    out.at = store::now_iso();
    return out;
  };
  // Checked on every attempt, after resolving: where a name points can change after the
  // webhook was saved.
  if (auto why = egress_.refusal(target.record.url)) {
    out.permanent = true;
    out.error = *why;
    return finish();
  }
  const auto timestamp =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  net::OutboundRequest req;
  req.method = "POST";
  req.url = target.record.url;
  req.body = body;
  req.headers = {{"Content-Type", "application/json"},
                 {"User-Agent", "Plugboard-Webhooks/1"},
                 {"X-Plugboard-Event", event_type},
                 {"X-Plugboard-Delivery", delivery_id},
                 {"X-Plugboard-Timestamp", std::to_string(timestamp)},
                 {"X-Plugboard-Signature", webhook_signature(target.secret, timestamp, body)}};
  for (const auto& [name, value] : target.headers) {
    if (reserved_header(name)) continue;
    if (lower(name) == "user-agent")
      std::erase_if(req.headers, [](const auto& h) { return h.first == "User-Agent"; });
    req.headers.emplace_back(name, value);
  }
  try {
    auto resp = client_.send(req, timeout_);
    out.status_code = resp.status;
    out.success = resp.status >= 200 && resp.status < 300;
    out.body = resp.body.substr(0, body_max_);
    if (!out.success) out.error = "HTTP " + std::to_string(resp.status);
  } catch (const net::TransportError& e) {
    out.error = e.kind == net::TransportError::Kind::timeout
                    ? "timed out after " + std::to_string(timeout_.count()) + " ms"
                    : std::string(e.what());
    if (e.kind == net::TransportError::Kind::bad_url) out.permanent = true;
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  return finish();
}

}  // namespace plugboard::events

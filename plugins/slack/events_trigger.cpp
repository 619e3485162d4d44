// Slack's Events API as a webhook trigger. Slack signs every request with the app's signing
// secret: v0=HMAC-SHA256(secret, "v0:" + timestamp + ":" + raw body). We check it in constant
// time over the raw body (never a re-encoding of it), refuse timestamps outside five minutes so
// a captured request cannot be replayed later, answer the url_verification challenge Slack sends
// when the Request URL is set, and turn each event_callback into one event. Slack retries a
// delivery it thinks failed; the event_id is the event's id, so the host drops the repeats.
#include "actions.hpp"
#include "params.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace slack {
namespace {

constexpr long long kReplayWindowSeconds = 5 * 60;

std::string hmac_sha256_hex(const std::string& key, const std::string& message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 15];
  }
  return out;
}

plugboard::ActionError refused(const std::string& why) { return {"INVALID_SIGNATURE", why}; }

void verify(const std::string& secret, const plugboard::WebhookRequest& req) {
  const std::string ts = req.header("x-slack-request-timestamp");
  const std::string signature = req.header("x-slack-signature");
  if (ts.empty() || signature.empty())
    throw refused("missing X-Slack-Request-Timestamp or X-Slack-Signature");
  if (ts.size() > 12 || !std::all_of(ts.begin(), ts.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw refused("X-Slack-Request-Timestamp is not a Unix time");
  const long long sent = std::stoll(ts);
  const long long now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  if (sent < now - kReplayWindowSeconds || sent > now + kReplayWindowSeconds)
    throw refused("request timestamp is more than five minutes from now (a replay?)");
  const std::string expected = "v0=" + hmac_sha256_hex(secret, "v0:" + ts + ":" + req.body);
  if (!plugboard::constant_time_equal(expected, signature)) throw refused("signature does not match");
}

bool listed(const json::object& config, const char* key, const std::string& value) {
  const auto* list = config.if_contains(key);
  if (list == nullptr || !list->is_array() || list->get_array().empty()) return true;  // no filter
  const auto& a = list->get_array();
  return std::any_of(a.begin(), a.end(),
                     [&](const json::value& v) { return v.is_string() && v.get_string() == value; });
}

std::string iso_from_unix(long long t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

plugboard::WebhookResult events_hook(plugboard::Context& ctx, const plugboard::WebhookRequest& req) {
  const json::object secrets = ctx.credentials();
  const auto* secret = secrets.if_contains("signing_secret");
  if (secret == nullptr || !secret->is_string() || secret->get_string().empty())
    throw plugboard::ActionError{"UNAUTHORIZED",
                                 "the subscription has no signing_secret to verify Slack with"};
  verify(std::string(secret->get_string()), req);

  boost::system::error_code ec;
  json::value body = json::parse(req.body, ec);
  if (ec || !body.is_object())
    throw plugboard::ActionError{"INVALID_REQUEST", "Slack sent a body that is not JSON"};
  const json::object& o = body.get_object();
  const std::string type = string_param(o, "type");

  plugboard::WebhookResult result;
  if (type == "url_verification") {
    result.headers["Content-Type"] = "text/plain";
    result.body = string_param(o, "challenge");
    return result;
  }
  if (type != "event_callback") return result;  // e.g. app_rate_limited: acknowledged, nothing to emit

  const auto* event = o.if_contains("event");
  if (event == nullptr || !event->is_object())
    throw plugboard::ActionError{"INVALID_REQUEST", "event_callback without an event object"};
  const json::object& e = event->get_object();
  const json::object config = ctx.trigger_config();
  const std::string event_type = string_param(e, "type");
  if (!listed(config, "event_types", event_type) || !listed(config, "channels", string_param(e, "channel")))
    return result;

  plugboard::TriggerEvent out;
  out.id = string_param(o, "event_id");
  out.type = "slack." + event_type;
  json::object data;
  data["event"] = e;
  data["event_id"] = out.id;
  data["team_id"] = string_param(o, "team_id");
  data["api_app_id"] = string_param(o, "api_app_id");
  if (const auto* t = o.if_contains("event_time"); t != nullptr && t->is_int64()) {
    data["event_time"] = t->get_int64();
    out.occurred_at = iso_from_unix(t->get_int64());
  }
  out.data = std::move(data);
  result.events.push_back(std::move(out));
  return result;
}

}  // namespace slack

// Plugboard SDK — the values trigger handlers take and return (ABI 1.1). Included by sdk.hpp.
//
// A polling trigger returns the new items since its cursor; a webhook trigger turns one
// provider request into an answer and zero or more events. Either way an event names the
// provider's own id for the item, which the host uses to drop repeats, so a handler may
// return an item twice (after a crash, on overlapping pages) without the subscribers
// hearing of it twice.
#pragma once

#include <boost/json.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace plugboard {

struct TriggerEvent {
  std::string id;      // the provider's id for the item (file id, event id); required
  std::string type{};  // empty: the manifest's event type for the trigger
  boost::json::value data{};
  std::string occurred_at{};  // ISO 8601 UTC; empty: when the host stored it

  boost::json::object to_json() const {
    boost::json::object o;
    o["id"] = id;
    if (!type.empty()) o["type"] = type;
    o["data"] = data;
    if (!occurred_at.empty()) o["occurred_at"] = occurred_at;
    return o;
  }
};

inline boost::json::array to_json(const std::vector<TriggerEvent>& events) {
  boost::json::array a;
  for (const auto& e : events) a.emplace_back(e.to_json());
  return a;
}

// One HTTP request that arrived at the trigger's hook URL, as the host received it.
struct WebhookRequest {
  std::string method;
  std::string path;
  boost::json::object query;    // name -> string
  boost::json::object headers;  // lower-case name -> string
  std::string body;             // raw, as received: verify signatures over this, not a re-encoding

  std::string header(std::string_view lower_name) const { return str(headers, lower_name); }
  std::string query_param(std::string_view name) const { return str(query, name); }

  static WebhookRequest from_json(const boost::json::object& o) {
    WebhookRequest r;
    r.method = str(o, "method");
    r.path = str(o, "path");
    if (const auto* q = o.if_contains("query"); q != nullptr && q->is_object()) r.query = q->get_object();
    if (const auto* h = o.if_contains("headers"); h != nullptr && h->is_object()) r.headers = h->get_object();
    r.body = str(o, "body");
    return r;
  }

 private:
  static std::string str(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
  }
};

// What a webhook trigger answers the provider, and the events the request carried.
struct WebhookResult {
  int status = 200;
  std::map<std::string, std::string> headers{};
  std::string body{};
  std::vector<TriggerEvent> events{};

  boost::json::object to_json() const {
    boost::json::object response;
    response["status"] = status;
    boost::json::object h;
    for (const auto& [k, v] : headers) h[k] = v;
    response["headers"] = std::move(h);
    response["body"] = body;
    boost::json::object o;
    o["response"] = std::move(response);
    o["events"] = plugboard::to_json(events);
    return o;
  }
};

// Compares two secrets in time that depends only on their lengths, so a forged signature
// cannot be found byte by byte by timing the answers.
inline bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]));
  return diff == 0;
}

}  // namespace plugboard

// The messages a runtime and its plugin host process exchange, one per frame (frame.hpp).
// Each has a "t" (type) in its head:
//
//  host -> runtime  hello   {hooks:{poll,handle_webhook,subscribe,unsubscribe,test_connection}}
//                           once the plugin loaded and passed the loader's checks
//                   refused {message}: the plugin did not load; the process exits after it
//                   done    {id, status} [out]: a call finished; out is what the plugin wrote
//                   host    {id, seq, op, ...} [...]: the plugin called a host service during
//                           call `id`; every op but "log" waits for a reply with the same seq
//  runtime -> host  call    {id, op, name, remaining_ms} [payload]: run one plugin function
//                   reply   {seq, status} [...]: the answer to a host request
//
// Call ops: action (name = slug, payload = params), test, poll / subscribe / unsubscribe
// (name = trigger), webhook (name = trigger, payload = request JSON).
// Host ops: log {level} [text]; credentials, call_info, state_get [] -> [json];
// state_set [json] -> []; http {method, url, timeout_ms} [headers_json, body] -> [headers, body].
#pragma once

#include "isolation/frame.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace plugboard::isolation {

// Field access that turns a missing or mistyped field into a FrameError (a protocol error).
std::string_view text_field(const Message& m, std::string_view key);
std::int64_t int_field(const Message& m, std::string_view key);
bool bool_field(const Message& m, std::string_view key);  // false when absent
const std::string& blob(const Message& m, std::size_t i);

Message make_call(std::uint64_t id, std::string_view op, std::string_view name, std::int64_t remaining_ms,
                  std::string payload);
Message make_done(std::uint64_t id, std::int32_t status, std::string out);
Message make_host(std::uint64_t id, std::uint64_t seq, std::string_view op);
Message make_reply(std::uint64_t seq, std::int32_t status);

}  // namespace plugboard::isolation

#include "isolation/messages.hpp"

namespace plugboard::isolation {
namespace {

const boost::json::value& field(const Message& m, std::string_view key) {
  const auto* v = m.head.if_contains(key);
  if (v == nullptr) throw FrameError("message lacks field " + std::string(key));
  return *v;
}

}  // namespace

std::string_view text_field(const Message& m, std::string_view key) {
  const auto& v = field(m, key);
  if (!v.is_string()) throw FrameError("message field " + std::string(key) + " is not a string");
  return v.get_string();
}

std::int64_t int_field(const Message& m, std::string_view key) {
  const auto& v = field(m, key);
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v.get_uint64());
  throw FrameError("message field " + std::string(key) + " is not an integer");
}

bool bool_field(const Message& m, std::string_view key) {
  const auto* v = m.head.if_contains(key);
  return v != nullptr && v->is_bool() && v->get_bool();
}

const std::string& blob(const Message& m, std::size_t i) {
  if (i >= m.blobs.size())
    throw FrameError("message has " + std::to_string(m.blobs.size()) + " blobs, needs " +
                     std::to_string(i + 1));
  return m.blobs[i];
}

Message make_call(std::uint64_t id, std::string_view op, std::string_view name, std::int64_t remaining_ms,
                  std::string payload) {
  Message m;
  m.head = {{"t", "call"}, {"id", id}, {"op", op}, {"name", name}, {"remaining_ms", remaining_ms}};
  m.blobs.push_back(std::move(payload));
  return m;
}

Message make_done(std::uint64_t id, std::int32_t status, std::string out) {
  Message m;
  m.head = {{"t", "done"}, {"id", id}, {"status", status}};
  m.blobs.push_back(std::move(out));
  return m;
}

Message make_host(std::uint64_t id, std::uint64_t seq, std::string_view op) {
  Message m;
  m.head = {{"t", "host"}, {"id", id}, {"seq", seq}, {"op", op}};
  return m;
}

Message make_reply(std::uint64_t seq, std::int32_t status) {
  Message m;
  m.head = {{"t", "reply"}, {"seq", seq}, {"status", status}};
  return m;
}

}  // namespace plugboard::isolation

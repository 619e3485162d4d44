// The two ends of a pb_writer both sides of the socket need: one that collects into a string,
// and a null-safe write into a writer the plugin or the host passed.
#pragma once

#include <plugboard/plugin.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace plugboard::isolation {

inline void append_to_string(void* ctx, const char* data, std::size_t len) {
  static_cast<std::string*>(ctx)->append(data, len);
}

inline pb_writer string_writer(std::string& s) { return pb_writer{&s, &append_to_string}; }

inline void write_to(const pb_writer* w, std::string_view s) {
  if (w != nullptr && w->write != nullptr) w->write(w->ctx, s.data(), s.size());
}

}  // namespace plugboard::isolation

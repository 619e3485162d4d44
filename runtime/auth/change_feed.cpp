#include "auth/change_feed.hpp"

#include "store/iso_time.hpp"

#include <spdlog/spdlog.h>

namespace plugboard::auth {

void publish_change(store::Store& store, const char* topic, const std::string& key) {
  try {
    store.change_feed().append(topic, key, store::now_iso());
  } catch (const std::exception& e) {
    spdlog::warn("cannot tell other nodes of a {} change ({}); their caches expire on their own", topic,
                 e.what());
  }
}

}  // namespace plugboard::auth

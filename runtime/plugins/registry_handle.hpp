// The current Registry, swappable as a whole on reload. Readers take a snapshot and keep
// using it (and the libraries it holds) until they are done, so a reload never pulls a
// plugin out from under a running execution.
#pragma once

#include "plugins/registry.hpp"

#include <atomic>
#include <cstdint>
#include <memory>

namespace plugboard::plugins {

class RegistryHandle {
 public:
  explicit RegistryHandle(std::shared_ptr<const Registry> r = std::make_shared<Registry>())
      : current_(std::move(r)) {}
  std::shared_ptr<const Registry> get() const { return current_.load(); }
  void set(std::shared_ptr<const Registry> r) {
    current_.store(std::move(r));
    generation_.fetch_add(1);
  }
  std::uint64_t generation() const { return generation_.load(); }

 private:
  std::atomic<std::shared_ptr<const Registry>> current_;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace plugboard::plugins

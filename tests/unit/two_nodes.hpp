// A test fixture for what several nodes share: two stores ("node A" and "node B") opened on
// one SQLite file in a fresh temp directory, as two processes on one machine would.
#pragma once

#include "store/open_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <system_error>

namespace plugboard::test {

class TwoNodes : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pb-nodes-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
    const auto path = (dir_ / "plugboard.db").string();
    node_a_ = store::open_store(path);
    node_b_ = store::open_store(path);
  }
  void TearDown() override {
    node_a_.reset();
    node_b_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> node_a_, node_b_;
};

}  // namespace plugboard::test

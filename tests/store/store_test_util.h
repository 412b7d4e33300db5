// Shared pieces of the store tests: a temporary directory, a small geometry
// and deterministic block contents.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "veil/store/gallery_store.h"

namespace veil::test {

// Test files: XOR one byte with 0x20, whole contents, overwrite.
inline void flip_byte(const std::filesystem::path& p, std::uint64_t offset) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x20));
}
inline std::vector<std::uint8_t> slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

inline constexpr std::uint64_t kParamId = 0x5eed00001234abcdull;
inline constexpr std::uint64_t kBlockBytes = 4096;
inline constexpr std::uint32_t kSlots = 16;

// The key set of the test stores, and another one.
inline io::KeyId key_id(std::uint8_t seed) {
  io::KeyId k;
  for (std::size_t i = 0; i < io::KeyId::kSize; ++i)
    k.bytes[i] = static_cast<std::uint8_t>(seed * 17 + i * 29 + 1);
  return k;
}
inline const io::KeyId kKey = key_id(1);
inline const io::KeyId kOtherKey = key_id(2);

inline store::StoreConfig small_config() {
  store::StoreConfig c;
  c.param_id = kParamId;
  c.block_bytes = kBlockBytes;
  c.slots_per_block = kSlots;
  c.search_config = {0x56, 0x45, 0x49, 0x4c, 1, 2, 3};
  c.key_id = kKey;
  return c;
}

// Block contents as a function of (a, b): any torn or misplaced block shows.
inline std::vector<std::uint8_t> block_bytes(std::uint64_t a, std::uint64_t b,
                                             std::size_t n = kBlockBytes) {
  std::vector<std::uint8_t> out(n);
  std::uint64_t x = a * 0x9e3779b97f4a7c15ull + b * 0xbf58476d1ce4e5b9ull + 1;
  for (std::size_t i = 0; i < n; i += 8) {
    x ^= x >> 31;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 29;
    for (std::size_t k = 0; k < 8 && i + k < n; ++k)
      out[i + k] = static_cast<std::uint8_t>(x >> (8 * k));
  }
  return out;
}

// A trailer entry for a block holding `ids` (labels: none, or one per id).
inline store::TrailerBlock entry(std::int64_t block_id, std::span<const std::uint8_t> bytes,
                                 const std::vector<std::string>& ids,
                                 const std::vector<std::string>& labels = {}) {
  store::TrailerBlock b;
  b.block_id = block_id;
  b.checksum = store::block_checksum(bytes);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    b.slots.push_back({ids[i], labels.empty() ? std::nullopt : std::optional(labels[i])});
  }
  return b;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "veil-store-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    dir_ = root_ / "gallery";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir_))
      names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }
  std::filesystem::path root_, dir_;
};

}  // namespace veil::test

// Temporary directories and hand-built files for the data-layer tests.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace veil::test {

using Bytes = std::vector<std::uint8_t>;

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "veil-data-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path write(const std::string& name, const Bytes& bytes) {
    std::filesystem::path p = dir_ / name;
    std::ofstream f(p, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
    return p;
  }
  std::filesystem::path write_text(const std::string& name, const std::string& text) {
    return write(name, Bytes(text.begin(), text.end()));
  }
  std::filesystem::path dir_;
};

template <class T>
void append_le(Bytes& out, T v) {
  std::uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.insert(out.end(), b, b + sizeof(T));
}

// An .npy file with the given header dict (padded to 64 bytes) and data bytes.
inline Bytes make_npy(const std::string& dict, const Bytes& data, int version = 1) {
  std::size_t len_size = version == 1 ? 2 : 4;
  std::string h = dict;
  std::size_t total = 8 + len_size + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h += '\n';
  Bytes out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<std::uint8_t>(version), 0};
  if (version == 1) {
    append_le<std::uint16_t>(out, static_cast<std::uint16_t>(h.size()));
  } else {
    append_le<std::uint32_t>(out, static_cast<std::uint32_t>(h.size()));
  }
  out.insert(out.end(), h.begin(), h.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

template <class T>
Bytes le_array(const std::vector<T>& v) {
  Bytes out;
  for (T x : v) append_le(out, x);
  return out;
}

}  // namespace veil::test

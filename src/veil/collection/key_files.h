// Internal to collection: the key directory's file names and how its
// files are read (shared by keys.cpp and keys_public.cpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "veil/io/file_io.h"

namespace veil::collection::key_files {

inline constexpr std::uint64_t kMaxKeyFile = std::uint64_t{1} << 30;
inline constexpr const char* kParams = "params.veil";
inline constexpr const char* kSecret = "secret.key";
inline constexpr const char* kPublic = "public.key";
inline constexpr const char* kExpansion = "expansion.keys";
inline constexpr const char* kGalleryPublic = "gallery.pub";

// The bytes of a key file: a clear message when it is missing or not a file.
std::vector<std::uint8_t> read_key_file(const std::filesystem::path& p);

// `load(bytes)` with any parse error prefixed by the file's name.
template <class Load>
auto load_named(const std::filesystem::path& p, std::vector<std::uint8_t>& bytes, Load load) {
  try {
    return load(bytes);
  } catch (const std::exception& e) {
    throw std::runtime_error(p.string() + " is damaged or not a Veil key file: " + e.what());
  }
}

}  // namespace veil::collection::key_files

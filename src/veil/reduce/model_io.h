// Internal helpers shared by the model field writers and readers (pca.cpp,
// deep_mds.cpp, model.cpp). Not part of the layer's API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "veil/io/byte_io.h"

namespace veil::reduce::detail {

// Largest input or output dimension a model file may declare.
inline constexpr std::uint64_t kMaxModelDim = 65536;
// Largest model file (and envelope payload) that is read.
inline constexpr std::uint64_t kMaxModelBytes = std::uint64_t{1} << 30;

// float32 values as their IEEE-754 bit patterns, little-endian u32 each.
void put_f32_array(std::vector<std::uint8_t>& out, std::span<const float> values);
void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v);
void put_u64(std::vector<std::uint8_t>& out, std::uint64_t v);
void put_f64(std::vector<std::uint8_t>& out, double v);

// `count` float32 values. The byte length is checked against what is left
// before anything is allocated; a non-finite value is a FormatError naming
// `field` and the index.
std::vector<float> get_f32_array(io::ByteReader& r, const std::string& field, std::uint64_t count);
// A finite f64.
double get_finite_f64(io::ByteReader& r, const std::string& field);

// "512->32".
std::string dims(std::size_t in, std::size_t out);

}  // namespace veil::reduce::detail

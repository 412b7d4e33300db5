// MNIST-style idx files (images: idx3-ubyte, labels: idx1-ubyte), raw or
// gzip-compressed (detected from the gzip magic bytes, not the extension).
//
// Layout, all integers big-endian:
//   images: u32 magic 2051 (0x00000803), u32 count, u32 rows, u32 cols, then
//           count*rows*cols pixels (uint8, row-major, image after image);
//   labels: u32 magic 2049 (0x00000801), u32 count, then count uint8 labels.
//
// Checked: both magic numbers, rows and cols positive, the image and label
// counts equal, and the (decompressed) data exactly as long as the header
// says: truncated and over-long files are both refused. Decompression is
// bounded: output beyond the header-implied size (or beyond max_bytes) is
// refused as soon as it appears, and memory grows only with data actually
// decompressed, never from the header's count alone. Errors are
// io::FormatError starting with the source name (the path for read_*) and
// naming the field. Labels are not range-checked (any uint8 is accepted).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "veil/data/matrix.h"

namespace veil::data {

inline constexpr std::uint32_t kIdxImagesMagic = 2051;
inline constexpr std::uint32_t kIdxLabelsMagic = 2049;

struct ImageSet {
  std::size_t count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;  // count*rows*cols
  std::vector<std::uint8_t> labels;  // count
};

// The first max_items images and labels. The whole of both files is still
// decoded and checked against their headers.
ImageSet read_mnist(const std::filesystem::path& images, const std::filesystem::path& labels,
                    std::uint64_t max_items = kAllRows);

// In-memory twins (the fuzz target drives these). `max_bytes` bounds the
// decoded size of each file (header included): a header implying more is
// refused before any data is decoded.
ImageSet parse_mnist(std::span<const std::uint8_t> images, std::span<const std::uint8_t> labels,
                     std::string_view images_source = "<images>",
                     std::string_view labels_source = "<labels>",
                     std::uint64_t max_items = kAllRows,
                     std::uint64_t max_bytes = kDefaultMaxFileBytes);

// One file of either kind; the other fields of ImageSet stay empty (labels
// only: count and labels; images only: count, rows, cols, pixels).
ImageSet parse_idx_images(std::span<const std::uint8_t> bytes, std::string_view source,
                          std::uint64_t max_items = kAllRows,
                          std::uint64_t max_bytes = kDefaultMaxFileBytes);
ImageSet parse_idx_labels(std::span<const std::uint8_t> bytes, std::string_view source,
                          std::uint64_t max_items = kAllRows,
                          std::uint64_t max_bytes = kDefaultMaxFileBytes);

// Raw idx encodings (tests and fuzz seeds); the caller gzips if it wants.
std::vector<std::uint8_t> encode_idx_images(const ImageSet& set);
std::vector<std::uint8_t> encode_idx_labels(const ImageSet& set);

// gzip (RFC 1952) of `bytes`, for tests and fuzz seeds.
std::vector<std::uint8_t> gzip_bytes(std::span<const std::uint8_t> bytes);

}  // namespace veil::data

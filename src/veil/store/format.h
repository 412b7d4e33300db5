// The store's file formats: the manifest and the segment files. In-memory
// entry points, so that tests and fuzz targets need no files.
//
// Segment file `seg-NNNNNN.vseg` = one io envelope of type GallerySegment
// (64-byte header, BLAKE2b-256 over the header fields and the payload) whose
// payload is a 64-byte segment header followed by `block_count` blocks of
// `block_bytes` bytes each:
//
//   file offset  size  field
//             0    64  envelope header (type GallerySegment, the store's parameter id)
//            64     4  magic "VSEG"
//            68     4  segment format version (1)
//            72     8  sequence number (the NNNNNN of the file name)
//            80     8  block_bytes
//            88     8  block_count
//            96     4  slots_per_block
//           100    28  zero
//           128     -  block 0, block 1, ... (block i at 128 + i * block_bytes)
//
// With block_bytes a multiple of 64, every block starts 64-byte aligned in
// the file and therefore in a page-aligned memory mapping.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace veil::store {

inline constexpr std::uint32_t kStoreFormatVersion = 1;
inline constexpr std::uint32_t kSegmentVersion = 1;
inline constexpr std::size_t kSegmentHeaderSize = 64;  // inside the payload
inline constexpr std::size_t kSegmentDataOffset =
    64 + kSegmentHeaderSize;  // first block in the file
inline constexpr std::uint64_t kMaxBlockBytes = std::uint64_t{1} << 40;
inline constexpr std::uint32_t kMaxSlotsPerBlock = 1u << 24;
inline constexpr std::size_t kMaxSearchConfigBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxManifestBytes = 4 * kMaxSearchConfigBytes;
inline constexpr std::size_t kMaxIdBytes = 1024;
inline constexpr std::size_t kMaxLabelBytes = 1024;

struct StoreConfig {
  std::uint64_t param_id = 0;         // the parameter set every segment carries
  std::uint64_t block_bytes = 0;      // size of one block: a multiple of 64, at most kMaxBlockBytes
  std::uint32_t slots_per_block = 0;  // templates per block, 1..kMaxSlotsPerBlock
  std::vector<std::uint8_t> search_config;  // opaque (an envelope from search/), <= 1 MiB

  bool operator==(const StoreConfig&) const = default;
};

// Throws StoreError naming the field when the geometry is out of range.
void validate(const StoreConfig& config);

struct Manifest {
  StoreConfig config;
  std::string created;  // UTC, ISO 8601, e.g. "2026-11-21T08:43:43Z"
};

// manifest.json: {"format": "veil-gallery-store", "version": 1,
//   "param_id": "<16 hex digits>", "block_bytes": N, "slots_per_block": N,
//   "search_config": "<hex>", "created": "<ISO 8601>"}
std::vector<std::uint8_t> encode_manifest(const Manifest& m);
// Strict: every key present with the right type, no other key, values in
// range. Throws StoreError naming `source` and the key.
Manifest parse_manifest(std::span<const std::uint8_t> bytes, const std::string& source);

struct SegmentHeader {
  std::uint64_t param_id = 0;
  std::uint64_t seq = 0;
  std::uint64_t block_bytes = 0;
  std::uint64_t block_count = 0;
  std::uint32_t slots_per_block = 0;
  std::array<std::uint8_t, 32> checksum{};  // the envelope's
};

// Expected file size of a segment: 128 + block_count * block_bytes, or
// StoreError on overflow.
std::uint64_t segment_file_size(std::uint64_t block_bytes, std::uint64_t block_count);

// Parses the first kSegmentDataOffset bytes of a segment file of `file_size`
// bytes and checks them against the store's geometry: envelope magic,
// version, type GallerySegment, zero flags, parameter id, payload size ==
// file_size - 64, segment magic and version, block_bytes and slots_per_block
// == the config's, file_size == segment_file_size(...). Does not check the
// checksum (that needs every byte: see check_segment). Throws StoreError
// naming `source`.
SegmentHeader parse_segment_header(std::span<const std::uint8_t> head, std::uint64_t file_size,
                                   const StoreConfig& config, const std::string& source);

// A whole segment in memory: the header as above, then the checksum over all
// of it (io::open_envelope). Throws StoreError naming `source`.
SegmentHeader check_segment(std::span<const std::uint8_t> bytes, const StoreConfig& config,
                            const std::string& source);

// A whole segment in memory (for tests and fuzzing; the store streams
// segments to disk without building them in memory). Every block must be
// config.block_bytes long.
std::vector<std::uint8_t> encode_segment(const StoreConfig& config, std::uint64_t seq,
                                         std::span<const std::span<const std::uint8_t>> blocks);

// The 64-byte segment header (the start of the payload).
std::array<std::uint8_t, kSegmentHeaderSize> encode_segment_header(const StoreConfig& config,
                                                                   std::uint64_t seq,
                                                                   std::uint64_t block_count);

// "seg-000042.vseg"
std::string segment_file_name(std::uint64_t seq);

}  // namespace veil::store

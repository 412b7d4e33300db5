// The store's file formats: the manifest, the segment files (header, blocks,
// trailer) and the removal log. In-memory entry points, so that tests and
// fuzz targets need no files. README.md in this directory has the same
// tables and says why each piece is there.
//
// Segment file `seg-NNNNNN.vseg` (format version 2) = one io envelope of type
// GallerySegment (64-byte header, BLAKE2b-256 over the header fields and the
// whole payload) whose payload is a 64-byte segment header, `block_count`
// blocks of `block_bytes` bytes each, then the trailer:
//
//   file offset  size  field
//             0    64  envelope header (type GallerySegment, the store's parameter id)
//            64     4  magic "VSEG"
//            68     4  segment format version (2)
//            72     8  sequence number (the NNNNNN of the file name)
//            80     8  block_bytes
//            88     8  block_count
//            96     4  slots_per_block
//           100    16  key id (io::KeyId) of the key set the blocks were made with
//           116     8  trailer_bytes
//           124     4  zero
//           128     -  block 0, block 1, ... (block i at 128 + i * block_bytes)
//   128 + n * bb    -  trailer (trailer_bytes bytes, up to the end of the file)
//
// With block_bytes a multiple of 64, every block starts 64-byte aligned in
// the file and therefore in a page-aligned memory mapping.
//
// Trailer: what the index (ids.sqlite) needs to be rebuilt from the segments
// alone. It has its own checksum, so that it can be trusted (and found, by
// its magic at a block boundary) when the segment header or another part of
// the envelope is damaged:
//
//   offset  size  field
//        0     4  magic "VTRL"
//        4     4  trailer version (1)
//        8     8  sequence number (as in the header)
//       16     8  block_count (as in the header)
//       24    16  key id (as in the header)
//       40     8  entries_bytes (the rest of the trailer after offset 80)
//       48    32  BLAKE2b-256 of trailer bytes [0, 48) followed by the entries
//       80     -  entries, one per block, in block order:
//                   8  stable block id (ascending within a segment, < 2^63)
//                   4  slots_used (1..slots_per_block)
//                   4  zero
//                  32  BLAKE2b-256 of the block's bytes
//                   then per used slot:
//                   2  id length (1..kMaxIdBytes)
//                   2  label length + 1 (0: no label; at most kMaxLabelBytes + 1)
//                   -  id bytes, label bytes (UTF-8 without control characters)
//
// Removal log `removed.log`: a 32-byte header then 32-byte records, appended
// (and fsync'ed) by every remove before the index changes:
//
//   header:  0  8  magic "VEILRMLG"      record:  0   8  stable block id
//            8  4  version (1)                    8   4  slot
//           12  4  zero                          12   4  magic "RMV1"
//           16 16  key id                        16  16  BLAKE2b-128 of record bytes [0, 16)
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "veil/io/key_id.h"

namespace veil::store {

inline constexpr std::uint32_t kStoreFormatVersion = 2;
inline constexpr std::uint32_t kSegmentVersion = 2;
inline constexpr std::uint32_t kTrailerVersion = 1;
inline constexpr std::uint32_t kRemovalLogVersion = 1;
inline constexpr std::size_t kSegmentHeaderSize = 64;  // inside the payload
inline constexpr std::size_t kSegmentDataOffset =
    64 + kSegmentHeaderSize;                                    // first block in the file
inline constexpr std::size_t kSegmentKeyIdOffset = 100;         // in the file
inline constexpr std::size_t kSegmentTrailerBytesOffset = 116;  // in the file
inline constexpr std::size_t kTrailerHeaderSize = 80;
inline constexpr std::size_t kTrailerEntryFixedSize = 48;  // before the slots
inline constexpr std::size_t kRemovalLogHeaderSize = 32;
inline constexpr std::size_t kRemovalRecordSize = 32;
inline constexpr std::uint64_t kMaxBlockBytes = std::uint64_t{1} << 40;
inline constexpr std::uint32_t kMaxSlotsPerBlock = 1u << 24;
inline constexpr std::size_t kMaxSearchConfigBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxManifestBytes = 4 * kMaxSearchConfigBytes;
inline constexpr std::size_t kMaxIdBytes = 1024;
inline constexpr std::size_t kMaxLabelBytes = 1024;

using Checksum = std::array<std::uint8_t, 32>;  // BLAKE2b-256

struct StoreConfig {
  std::uint64_t param_id = 0;         // the parameter set every segment carries
  std::uint64_t block_bytes = 0;      // size of one block: a multiple of 64, at most kMaxBlockBytes
  std::uint32_t slots_per_block = 0;  // templates per block, 1..kMaxSlotsPerBlock
  std::vector<std::uint8_t> search_config;  // opaque (an envelope from search/), <= 1 MiB
  io::KeyId key_id;  // the key set every block must be made with; never empty

  bool operator==(const StoreConfig&) const = default;
};

// Throws StoreError naming the field when the geometry is out of range or
// the key id is empty.
void validate(const StoreConfig& config);

struct Manifest {
  StoreConfig config;
  std::string created;  // UTC, ISO 8601, e.g. "2026-11-21T08:43:43Z"
};

// manifest.json: {"format": "veil-gallery-store", "version": 2,
//   "param_id": "<16 hex digits>", "key_id": "<32 hex digits>",
//   "block_bytes": N, "slots_per_block": N, "search_config": "<hex>",
//   "created": "<ISO 8601>"}
std::vector<std::uint8_t> encode_manifest(const Manifest& m);
// Strict: every key present with the right type, no other key, values in
// range, hex in lower case. A version-1 manifest gets a StoreError saying the
// store was made by an older Veil and must be re-enrolled. Throws StoreError
// naming `source` and the key.
Manifest parse_manifest(std::span<const std::uint8_t> bytes, const std::string& source);

// BLAKE2b-256 of a block's bytes (as kept in the trailer and the index).
Checksum block_checksum(std::span<const std::uint8_t> block);
// The first `digits` hex digits of a checksum, for messages.
std::string checksum_prefix(const Checksum& c, std::size_t digits = 12);

struct SegmentHeader {
  std::uint64_t param_id = 0;
  std::uint64_t seq = 0;
  std::uint64_t block_bytes = 0;
  std::uint64_t block_count = 0;
  std::uint32_t slots_per_block = 0;
  io::KeyId key_id;
  std::uint64_t trailer_bytes = 0;
  Checksum checksum{};  // the envelope's
};

// Expected file size of a segment: 128 + block_count * block_bytes +
// trailer_bytes, or StoreError on overflow.
std::uint64_t segment_file_size(std::uint64_t block_bytes, std::uint64_t block_count,
                                std::uint64_t trailer_bytes);

// Parses the first kSegmentDataOffset bytes of a segment file of `file_size`
// bytes and checks them against the store's configuration: envelope magic,
// version, type GallerySegment, zero flags, parameter id, payload size ==
// file_size - 64, segment magic and version, block_bytes, slots_per_block and
// key id == the config's, zero padding, file_size == segment_file_size(...).
// Does not check the checksum (that needs every byte: see check_segment).
// Throws StoreError naming `source` (and both key fingerprints on a key id
// mismatch).
SegmentHeader parse_segment_header(std::span<const std::uint8_t> head, std::uint64_t file_size,
                                   const StoreConfig& config, const std::string& source);

// One template slot as the trailer records it.
struct TrailerSlot {
  std::string id;
  std::optional<std::string> label;  // nullopt: none was given
  bool operator==(const TrailerSlot&) const = default;
};

// One block as the trailer records it.
struct TrailerBlock {
  std::int64_t block_id = 0;       // stable block id
  Checksum checksum{};             // of the block's bytes
  std::vector<TrailerSlot> slots;  // slots_used = slots.size()
  bool operator==(const TrailerBlock&) const = default;
};

struct SegmentTrailer {
  std::uint64_t seq = 0;
  io::KeyId key_id;
  std::vector<TrailerBlock> blocks;
  bool operator==(const SegmentTrailer&) const = default;
};

// Bytes the trailer of these blocks takes (header included).
std::uint64_t trailer_size(std::span<const TrailerBlock> blocks);
// The trailer: StoreError when an entry breaks the limits above (no slots or
// too many, an id or label too long, empty or not clean text, block ids not
// ascending).
std::vector<std::uint8_t> encode_trailer(const StoreConfig& config, std::uint64_t seq,
                                         std::span<const TrailerBlock> blocks);
// Parses a trailer that spans all of `bytes` (from its magic to the end of
// the file): magic, version, its own checksum, key id == the config's, every
// length checked against what remains before anything is allocated, the same
// limits as encode_trailer. Does not compare seq and block_count with a
// segment header (the caller does). Throws StoreError naming `source`.
SegmentTrailer parse_trailer(std::span<const std::uint8_t> bytes, const StoreConfig& config,
                             const std::string& source);
// Just the 80-byte trailer header: nullopt unless the magic and version are
// right; otherwise {seq, block_count, entries_bytes}. For finding a trailer
// when the segment header cannot be trusted.
struct TrailerHead {
  std::uint64_t seq = 0;
  std::uint64_t block_count = 0;
  std::uint64_t entries_bytes = 0;
};
std::optional<TrailerHead> peek_trailer(std::span<const std::uint8_t> head);

struct SegmentContents {
  SegmentHeader header;
  SegmentTrailer trailer;
};

// A whole segment in memory: the header as above, the envelope checksum
// (io::open_envelope), the trailer, the trailer against the header (seq,
// block count) and every block's bytes against its checksum in the trailer.
// Throws StoreError naming `source`.
SegmentContents check_segment(std::span<const std::uint8_t> bytes, const StoreConfig& config,
                              const std::string& source);

// A whole segment in memory (for tests and fuzzing; the store streams
// segments to disk without building them in memory). Every block must be
// config.block_bytes long and match its entry's checksum; entries.size() ==
// blocks.size().
std::vector<std::uint8_t> encode_segment(const StoreConfig& config, std::uint64_t seq,
                                         std::span<const std::span<const std::uint8_t>> blocks,
                                         std::span<const TrailerBlock> entries);

// The 64-byte segment header (the start of the payload).
std::array<std::uint8_t, kSegmentHeaderSize> encode_segment_header(const StoreConfig& config,
                                                                   std::uint64_t seq,
                                                                   std::uint64_t block_count,
                                                                   std::uint64_t trailer_bytes);

// "seg-000042.vseg"
std::string segment_file_name(std::uint64_t seq);
// The sequence number of a segment file name; nullopt for another name.
std::optional<std::uint64_t> parse_segment_file_name(const std::string& name);

// Removal log (removed.log).
struct RemovalRecord {
  std::int64_t block_id = 0;  // stable block id
  std::uint32_t slot = 0;
  auto operator<=>(const RemovalRecord&) const = default;
};
std::array<std::uint8_t, kRemovalLogHeaderSize> encode_removal_log_header(const io::KeyId& key);
std::array<std::uint8_t, kRemovalRecordSize> encode_removal_record(const RemovalRecord& r);

struct RemovalLog {
  std::vector<RemovalRecord> records;  // the intact ones, in file order
  std::vector<std::uint64_t> damaged;  // byte offsets of records whose checksum fails
  std::uint64_t torn_tail_bytes = 0;   // a partial last record (an interrupted remove)
};
// The whole file: header (magic, version, key id == `key`), then records.
// A bad header is a StoreError naming `source`; a damaged record is listed,
// not thrown (the others still count).
RemovalLog parse_removal_log(std::span<const std::uint8_t> bytes, const io::KeyId& key,
                             const std::string& source);

}  // namespace veil::store

// The envelope wrapped around every stored or sent object.
//
// Layout (all integers little-endian; see README.md in this directory):
//   offset  size  field
//        0     4  magic "VEIL"
//        4     2  format version (kEnvelopeVersion)
//        6     2  object type (ObjectType)
//        8     2  flags (reserved, must be 0)
//       10     2  reserved (must be 0)
//       12     4  padding (must be 0; keeps the payload 8-byte aligned)
//       16     8  parameter id (0 = none)
//       24     8  payload size in bytes
//       32    32  BLAKE2b-256 of bytes [0, 32) followed by the payload
//       64     -  payload
// The checksum detects corruption; it is not a MAC and authenticates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace veil::io {

// Values are part of the format: never renumber, only append.
enum class ObjectType : std::uint16_t {
  Parameters = 1,
  SecretKey = 2,
  PublicKey = 3,
  RelinKeys = 4,
  GaloisKeys = 5,
  Plaintext = 6,
  Ciphertext = 7,
  SeededCiphertext = 8,
  // Encrypted search (search/ and store/ layers).
  SearchConfig = 9,       // search parameters: dimension, quantisation, scales
  GallerySegment = 10,    // a store segment: gallery blocks, 64-byte aligned
  SearchQuery = 11,       // a compact encrypted probe
  SearchResponse = 12,    // encrypted score blocks, switched to the response modulus
  GalleryBatch = 13,      // encrypted templates on their way to the store
  GalleryPublicKey = 14,  // per-dimension public keys for third-party enrollment
  // Dimensionality reduction (reduce/ layer).
  ReductionModel = 15,  // a trained PCA or DeepMDS++ map, input and output dimensions
  TwoStageConfig = 16,  // a two-stage gallery: coarse search config, full rows, model fingerprint
  // Stage 2 of a two-stage search (search/rerank_wire.h).
  CandidateRequest = 17,  // the key holder's K slots to re-score
  CandidateRows = 18,     // the server's K encrypted rows
  // The service roles (collection/wire.h).
  SlotTable = 19,     // the server's slot -> id table, for the key holder
  RankedAnswer = 20,  // the key holder's top-k ids (scores only when asked)
  FullProbe = 21,     // a two-stage probe at full dimension, sealed to the key holder
  // PPPQ-ANN (ann/ layer).
  AnnIndex = 22,   // an encrypted IVF-PQ index's public parameters and scan config
  AnnTables = 23,  // its encrypted centroid and codeword tables
  AnnLists = 24,   // its sealed inverted lists
};

// "Ciphertext", ...; "unknown" for a value outside the enumeration.
std::string to_string(ObjectType type);
// "Ciphertext(7)", "unknown(42)": the form used in error messages.
std::string describe(ObjectType type);
bool is_known(ObjectType type);

inline constexpr std::uint8_t kEnvelopeMagic[4] = {'V', 'E', 'I', 'L'};
inline constexpr std::uint16_t kEnvelopeVersion = 1;
inline constexpr std::size_t kEnvelopeFieldsSize = 32;    // magic .. payload size
inline constexpr std::size_t kEnvelopeChecksumSize = 32;  // BLAKE2b-256
inline constexpr std::size_t kEnvelopeHeaderSize = kEnvelopeFieldsSize + kEnvelopeChecksumSize;

// Byte offsets of the header fields, for tests and tools.
inline constexpr std::size_t kEnvelopeVersionOffset = 4;
inline constexpr std::size_t kEnvelopeTypeOffset = 6;
inline constexpr std::size_t kEnvelopeFlagsOffset = 8;
inline constexpr std::size_t kEnvelopeReservedOffset = 10;
inline constexpr std::size_t kEnvelopePaddingOffset = 12;
inline constexpr std::size_t kEnvelopeParamIdOffset = 16;
inline constexpr std::size_t kEnvelopePayloadSizeOffset = 24;
inline constexpr std::size_t kEnvelopeChecksumOffset = 32;

// The type field of bytes that start like an envelope (magic and version);
// nullopt otherwise. Checks nothing else: open_envelope() still validates.
// For readers that accept more than one type (a store's search config).
std::optional<ObjectType> peek_type(std::span<const std::uint8_t> bytes);

struct Envelope {
  ObjectType type;
  std::uint64_t param_id;
  // A view into the bytes given to open_envelope(); valid as long as they are.
  std::span<const std::uint8_t> payload;
};

// Header, checksum and payload as one buffer. Throws std::invalid_argument
// for a type outside ObjectType.
std::vector<std::uint8_t> seal_envelope(ObjectType type, std::uint64_t param_id,
                                        std::span<const std::uint8_t> payload);

// Validates `bytes` as exactly one envelope and returns a view of its payload.
// Checks, in order: minimum size, magic, version, type == expected, flags and
// reserved == 0, parameter id == expected_param_id (when given), payload size
// <= max_payload, payload size == bytes after the header (no truncation, no
// trailing bytes), checksum. Any failure is a FormatError naming the expected
// and the found value. Throws std::invalid_argument if `expected` is not a
// known ObjectType.
Envelope open_envelope(std::span<const std::uint8_t> bytes, ObjectType expected,
                       std::optional<std::uint64_t> expected_param_id, std::uint64_t max_payload);

}  // namespace veil::io

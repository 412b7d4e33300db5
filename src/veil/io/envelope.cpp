#include "veil/io/envelope.h"

#include <sodium.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "veil/io/byte_io.h"
#include "veil/io/errors.h"

namespace veil::io {
namespace {

static_assert(crypto_generichash_BYTES == kEnvelopeChecksumSize);

void ensure_sodium() {
  static const int status = sodium_init();  // thread-safe, idempotent
  if (status < 0) throw std::runtime_error("envelope: libsodium failed to initialise");
}

// BLAKE2b-256 over the header fields followed by the payload.
void checksum(std::span<const std::uint8_t> fields, std::span<const std::uint8_t> payload,
              std::uint8_t out[kEnvelopeChecksumSize]) {
  ensure_sodium();
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, kEnvelopeChecksumSize);
  crypto_generichash_update(&state, fields.data(), fields.size());
  crypto_generichash_update(&state, payload.data(), payload.size());
  crypto_generichash_final(&state, out, kEnvelopeChecksumSize);
}

std::string hex(std::span<const std::uint8_t> bytes) {
  std::string s;
  s.reserve(2 * bytes.size());
  for (std::uint8_t b : bytes) {
    char buf[3];
    std::snprintf(buf, sizeof buf, "%02x", b);
    s += buf;
  }
  return s;
}

std::string hex64(std::uint64_t v) {
  char buf[19];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string hex16(std::uint16_t v) {
  char buf[7];
  std::snprintf(buf, sizeof buf, "0x%04x", static_cast<unsigned>(v));
  return buf;
}

[[noreturn]] void fail(const std::string& what) { throw FormatError("envelope: " + what); }

}  // namespace

std::string to_string(ObjectType type) {
  switch (type) {
    case ObjectType::Parameters:
      return "Parameters";
    case ObjectType::SecretKey:
      return "SecretKey";
    case ObjectType::PublicKey:
      return "PublicKey";
    case ObjectType::RelinKeys:
      return "RelinKeys";
    case ObjectType::GaloisKeys:
      return "GaloisKeys";
    case ObjectType::Plaintext:
      return "Plaintext";
    case ObjectType::Ciphertext:
      return "Ciphertext";
    case ObjectType::SeededCiphertext:
      return "SeededCiphertext";
    case ObjectType::SearchConfig:
      return "SearchConfig";
    case ObjectType::GallerySegment:
      return "GallerySegment";
    case ObjectType::SearchQuery:
      return "SearchQuery";
    case ObjectType::SearchResponse:
      return "SearchResponse";
    case ObjectType::GalleryBatch:
      return "GalleryBatch";
    case ObjectType::GalleryPublicKey:
      return "GalleryPublicKey";
    case ObjectType::ReductionModel:
      return "ReductionModel";
    case ObjectType::TwoStageConfig:
      return "TwoStageConfig";
    case ObjectType::CandidateRequest:
      return "CandidateRequest";
    case ObjectType::CandidateRows:
      return "CandidateRows";
    case ObjectType::SlotTable:
      return "SlotTable";
    case ObjectType::RankedAnswer:
      return "RankedAnswer";
    case ObjectType::FullProbe:
      return "FullProbe";
    case ObjectType::AnnIndex:
      return "AnnIndex";
    case ObjectType::AnnTables:
      return "AnnTables";
    case ObjectType::AnnLists:
      return "AnnLists";
  }
  return "unknown";
}

std::string describe(ObjectType type) {
  return to_string(type) + "(" + std::to_string(static_cast<std::uint16_t>(type)) + ")";
}

bool is_known(ObjectType type) { return to_string(type) != "unknown"; }

std::optional<ObjectType> peek_type(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kEnvelopeHeaderSize ||
      std::memcmp(bytes.data(), kEnvelopeMagic, sizeof kEnvelopeMagic) != 0) {
    return std::nullopt;
  }
  ByteReader r(bytes.subspan(kEnvelopeVersionOffset));
  if (r.get_u16("format version") != kEnvelopeVersion) return std::nullopt;
  return static_cast<ObjectType>(r.get_u16("object type"));
}

std::vector<std::uint8_t> seal_envelope(ObjectType type, std::uint64_t param_id,
                                        std::span<const std::uint8_t> payload) {
  if (!is_known(type)) {
    throw std::invalid_argument("seal_envelope: unknown object type " + describe(type));
  }
  ByteWriter w;
  w.reserve(kEnvelopeHeaderSize + payload.size());
  w.put_bytes(kEnvelopeMagic);
  w.put_u16(kEnvelopeVersion);
  w.put_u16(static_cast<std::uint16_t>(type));
  w.put_u16(0);  // flags
  w.put_u16(0);  // reserved
  w.put_u32(0);  // reserved: pads the header to 64 bytes so payloads are 8-byte aligned
  w.put_u64(param_id);
  w.put_u64(payload.size());
  std::uint8_t sum[kEnvelopeChecksumSize];
  checksum(std::span(w.bytes()).first(kEnvelopeFieldsSize), payload, sum);
  w.put_bytes(sum);
  w.put_bytes(payload);
  return w.take();
}

Envelope open_envelope(std::span<const std::uint8_t> bytes, ObjectType expected,
                       std::optional<std::uint64_t> expected_param_id, std::uint64_t max_payload) {
  if (!is_known(expected)) {
    throw std::invalid_argument("open_envelope: unknown expected object type " +
                                describe(expected));
  }
  if (bytes.size() < kEnvelopeHeaderSize) {
    fail("truncated: expected at least " + std::to_string(kEnvelopeHeaderSize) +
         " bytes (the header), got " + std::to_string(bytes.size()));
  }
  ByteReader r(bytes);
  auto magic = r.get_bytes("magic", sizeof kEnvelopeMagic);
  if (std::memcmp(magic.data(), kEnvelopeMagic, sizeof kEnvelopeMagic) != 0) {
    fail("expected magic \"VEIL\" (" + hex(kEnvelopeMagic) + "), got " + hex(magic) +
         " (not a Veil object)");
  }
  std::uint16_t version = r.get_u16("format version");
  if (version != kEnvelopeVersion) {
    fail("expected format version " + std::to_string(kEnvelopeVersion) + ", got " +
         std::to_string(version));
  }
  auto type = static_cast<ObjectType>(r.get_u16("object type"));
  if (type != expected) {
    fail("expected object type " + describe(expected) + ", got " + describe(type));
  }
  std::uint16_t flags = r.get_u16("flags");
  if (flags != 0) fail("expected flags 0x0000, got " + hex16(flags));
  std::uint16_t reserved = r.get_u16("reserved");
  if (reserved != 0) fail("expected reserved field 0x0000, got " + hex16(reserved));
  std::uint32_t padding = r.get_u32("padding");
  if (padding != 0) fail("expected padding 0, got " + std::to_string(padding));
  std::uint64_t param_id = r.get_u64("parameter id");
  if (expected_param_id && param_id != *expected_param_id) {
    fail("expected parameter id " + hex64(*expected_param_id) + ", got " + hex64(param_id));
  }
  std::uint64_t payload_size = r.get_u64("payload size");
  if (payload_size > max_payload) {
    fail("expected payload size at most " + std::to_string(max_payload) + " bytes, got " +
         std::to_string(payload_size));
  }
  auto stored_sum = r.get_bytes("checksum", kEnvelopeChecksumSize);
  // r.remaining() = bytes.size() - kEnvelopeHeaderSize: compared without any
  // addition, so a huge declared size cannot wrap around.
  if (payload_size != r.remaining()) {
    fail(std::string(payload_size > r.remaining() ? "truncated" : "trailing bytes") +
         ": expected " + std::to_string(payload_size) + " payload bytes after the header, got " +
         std::to_string(r.remaining()));
  }
  auto payload = r.get_bytes("payload", static_cast<std::size_t>(payload_size));
  r.expect_end();
  std::uint8_t sum[kEnvelopeChecksumSize];
  checksum(bytes.first(kEnvelopeFieldsSize), payload, sum);
  if (std::memcmp(sum, stored_sum.data(), kEnvelopeChecksumSize) != 0) {
    fail("checksum mismatch (corrupted data): expected " + hex(std::span(sum)) + ", got " +
         hex(stored_sum));
  }
  return Envelope{type, param_id, payload};
}

}  // namespace veil::io

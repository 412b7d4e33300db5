#include "veil/search/rerank_wire.h"

#include <algorithm>
#include <string>

#include "veil/io/byte_io.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"

namespace veil::search {

namespace {

void check_version(io::ByteReader& r, const char* what) {
  const std::uint32_t v = r.get_u32("version");
  if (v != kRerankWireVersion) {
    throw io::FormatError(std::string(what) + ": version " + std::to_string(v) + ", expected " +
                          std::to_string(kRerankWireVersion));
  }
}

// Payload bound for open_envelope: the largest well-formed message.
constexpr std::uint64_t kMaxRequestPayload = 12 + 8 * kMaxCandidates;
constexpr std::uint64_t kMaxRowsPayload =
    20 + kMaxCandidates * (8 + kRowNonceBytes + kMaxRowDimension);

}  // namespace

std::vector<std::uint8_t> save_candidate_request(std::uint64_t param_id,
                                                 std::span<const std::uint64_t> slots) {
  io::ByteWriter w;
  w.reserve(12 + 8 * slots.size());
  w.put_u32(kRerankWireVersion);
  w.put_u64(slots.size());
  w.put_u64_array(slots);
  return io::seal_envelope(io::ObjectType::CandidateRequest, param_id, w.bytes());
}

std::vector<std::uint64_t> load_candidate_request(std::span<const std::uint8_t> bytes,
                                                  std::uint64_t param_id,
                                                  std::uint64_t gallery_slots) {
  const io::Envelope env =
      io::open_envelope(bytes, io::ObjectType::CandidateRequest, param_id, kMaxRequestPayload);
  io::ByteReader r(env.payload);
  check_version(r, "candidate request");
  const std::uint64_t count = r.get_count("candidate count", kMaxCandidates, 8);
  std::vector<std::uint64_t> slots = r.get_u64_vector("candidate slots", count);
  r.expect_end();
  for (std::uint64_t s : slots) {
    if (s >= gallery_slots) {
      throw io::FormatError("candidate request: slot " + std::to_string(s) +
                            " beyond the gallery's " + std::to_string(gallery_slots) + " slots");
    }
  }
  std::vector<std::uint64_t> sorted = slots;
  std::sort(sorted.begin(), sorted.end());
  auto dup = std::adjacent_find(sorted.begin(), sorted.end());
  if (dup != sorted.end()) {
    throw io::FormatError("candidate request: slot " + std::to_string(*dup) + " named twice");
  }
  return slots;
}

std::vector<std::uint8_t> save_candidate_rows(std::uint64_t param_id, const CandidateRows& c) {
  if (c.nonces.size() != c.size() * kRowNonceBytes || c.rows.size() != c.size() * c.dimension) {
    throw std::invalid_argument("candidate rows: " + std::to_string(c.size()) + " slots with " +
                                std::to_string(c.nonces.size()) + " nonce bytes and " +
                                std::to_string(c.rows.size()) + " row bytes");
  }
  io::ByteWriter w;
  w.reserve(20 + c.index.size() * 8 + c.nonces.size() + c.rows.size());
  w.put_u32(kRerankWireVersion);
  w.put_u64(c.dimension);
  w.put_u64(c.size());
  w.put_u64_array(c.index);
  w.put_bytes(c.nonces);
  w.put_bytes(c.rows);
  return io::seal_envelope(io::ObjectType::CandidateRows, param_id, w.bytes());
}

CandidateRows load_candidate_rows(std::span<const std::uint8_t> bytes, std::uint64_t param_id,
                                  const RowLayout& layout,
                                  std::span<const std::uint64_t> requested) {
  const io::Envelope env =
      io::open_envelope(bytes, io::ObjectType::CandidateRows, param_id, kMaxRowsPayload);
  io::ByteReader r(env.payload);
  check_version(r, "candidate rows");
  CandidateRows c;
  c.dimension = r.get_u64("dimension");
  if (c.dimension != layout.dimension) {
    throw io::FormatError("candidate rows: dimension " + std::to_string(c.dimension) +
                          ", expected " + std::to_string(layout.dimension));
  }
  const std::uint64_t count =
      r.get_count("candidate count", kMaxCandidates, 8 + kRowNonceBytes + layout.dimension);
  if (count != requested.size()) {
    throw io::FormatError("candidate rows: " + std::to_string(count) + " rows for " +
                          std::to_string(requested.size()) + " requested slots");
  }
  c.index = r.get_u64_vector("candidate slots", count);
  if (!std::equal(c.index.begin(), c.index.end(), requested.begin())) {
    throw io::FormatError("candidate rows: the slots differ from the ones requested");
  }
  auto nonces = r.get_bytes("row nonces", io::checked_size(count, kRowNonceBytes, "row nonces"));
  auto rows = r.get_bytes("rows", io::checked_size(count, layout.dimension, "rows"));
  r.expect_end();
  c.nonces.assign(nonces.begin(), nonces.end());
  c.rows.assign(rows.begin(), rows.end());
  return c;
}

}  // namespace veil::search

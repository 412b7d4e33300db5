// Envelope helpers for fuzz targets that need only the io layer: recompute a
// mutated envelope's checksum, so that mutations reach the payload parsers.
#pragma once

#include <sodium.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "veil/io/envelope.h"

namespace veil::fuzz {

using Bytes = std::vector<std::uint8_t>;

// `in` with its envelope checksum recomputed over the header fields and
// payload as they are (unchanged if shorter than a header).
inline Bytes repair_checksum(std::span<const std::uint8_t> in) {
  Bytes fixed(in.begin(), in.end());
  if (fixed.size() < io::kEnvelopeHeaderSize) return fixed;
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, io::kEnvelopeChecksumSize);
  crypto_generichash_update(&st, fixed.data(), io::kEnvelopeFieldsSize);
  crypto_generichash_update(&st, fixed.data() + io::kEnvelopeHeaderSize,
                            fixed.size() - io::kEnvelopeHeaderSize);
  crypto_generichash_final(&st, fixed.data() + io::kEnvelopeChecksumOffset,
                           io::kEnvelopeChecksumSize);
  return fixed;
}

inline bool same_bytes(const Bytes& a, std::span<const std::uint8_t> b) {
  return a.size() == b.size() && (b.empty() || std::memcmp(a.data(), b.data(), b.size()) == 0);
}

}  // namespace veil::fuzz

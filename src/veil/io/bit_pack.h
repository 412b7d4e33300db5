// Bit-packing of residues: n values of `bits` bits each, least significant
// bits first, the last byte zero-padded. Used for ciphertext limbs and for
// search responses.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "veil/io/byte_io.h"
#include "veil/io/errors.h"

namespace veil::io {

inline std::size_t packed_bytes(std::size_t n, int bits) {
  return (n * static_cast<std::size_t>(bits) + 7) / 8;
}

template <typename T>
void put_packed(ByteWriter& w, std::span<const T> values, int bits) {
  unsigned __int128 acc = 0;
  int filled = 0;
  for (T v : values) {
    acc |= static_cast<unsigned __int128>(v) << filled;
    filled += bits;
    while (filled >= 8) {
      w.put_u8(static_cast<std::uint8_t>(acc));
      acc >>= 8;
      filled -= 8;
    }
  }
  if (filled > 0) w.put_u8(static_cast<std::uint8_t>(acc));
}

// Fills `out`; every value must be below `bound` (the prime) and the padding bits zero,
// else a FormatError naming `field` and the index.
template <typename T>
void get_packed(ByteReader& r, std::span<T> out, int bits, std::uint64_t bound, const char* field) {
  auto bytes = r.get_bytes(field, packed_bytes(out.size(), bits));
  const std::uint64_t mask = bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
  unsigned __int128 acc = 0;
  int filled = 0;
  std::size_t pos = 0;
  for (std::size_t j = 0; j < out.size(); ++j) {
    while (filled < bits) {
      acc |= static_cast<unsigned __int128>(bytes[pos++]) << filled;
      filled += 8;
    }
    const std::uint64_t v = static_cast<std::uint64_t>(acc) & mask;
    acc >>= bits;
    filled -= bits;
    if (v >= bound) {
      throw FormatError(std::string(field) + ": coefficient " + std::to_string(j) + " = " +
                        std::to_string(v) + " is not below its prime " + std::to_string(bound));
    }
    out[j] = static_cast<T>(v);
  }
  if (acc != 0) throw FormatError(std::string(field) + ": non-zero padding bits");
}

}  // namespace veil::io

// Stage 2 of a two-stage search: the full-dimension templates of a block,
// kept so that the K candidates stage 1 picked can be re-scored exactly.
//
// Region layout (one per gallery block, after the stage-1 block):
//   bytes [0, 16)    random nonce of the region (fresh per block)
//   bytes [16, 24)   dimension (u64, little-endian), then zeros up to 64
//   bytes [64 + k d, 64 + (k + 1) d)   row k: the quantised template of slot k
//                    (int8, round(s x)) XOR a ChaCha20 keystream
//   size rounded up to a multiple of 64.
// The keystream of row k is Xof(BLAKE2b(row key, nonce), domain k); the row
// key is BLAKE2b over the secret key, so only the key holder can produce or
// read rows. Unused slots hold an encrypted zero row.
//
// Who learns what (docs/reduce.md): the server returns the rows the key
// holder asks for, so it learns WHICH K slots are re-scored, never their
// contents or the scores. The key holder decrypts those K templates and
// scores them against its probe: it sees K quantised templates (it holds the
// key that decrypts the whole gallery anyway). Why not a homomorphic product
// per candidate: docs/reduce.md, "Why the key holder re-scores".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"
#include "veil/search/key_holder.h"
#include "veil/search/quantize.h"

namespace veil::search {

inline constexpr std::size_t kRowHeaderBytes = 64;
inline constexpr std::size_t kRowNonceBytes = 16;
inline constexpr std::size_t kMaxRowDimension = 4096;

struct RowLayout {
  std::size_t n = 0;          // slots per block
  std::size_t dimension = 0;  // full dimension
  std::size_t region_bytes() const { return (kRowHeaderBytes + n * dimension + 63) / 64 * 64; }
  std::size_t row_offset(std::size_t slot) const { return kRowHeaderBytes + slot * dimension; }
};

// std::invalid_argument unless 1 <= dimension <= kMaxRowDimension and n >= 1.
void check_row_layout(const RowLayout& l);

// What the server returns for stage 2: the requested rows, in request order.
struct CandidateRows {
  std::size_t dimension = 0;
  std::vector<std::uint64_t> index;  // b * n + k, as requested
  std::vector<std::uint8_t> nonces;  // kRowNonceBytes per candidate
  std::vector<std::uint8_t> rows;    // dimension bytes per candidate
  std::size_t size() const { return index.size(); }
};

// Server side: copies the rows of `candidates` out of the regions (one
// pointer per block). An index beyond the gallery, or a region whose header
// names another dimension, is a std::invalid_argument; nothing is returned.
CandidateRows gather_rows(const RowLayout& layout, std::span<const std::uint8_t* const> regions,
                          std::span<const std::uint64_t> candidates);

// The key holder's cipher for stage-2 rows.
class RowCipher {
 public:
  RowCipher(const rlwe::Context& ctx, const rlwe::SecretKey& sk, RowLayout layout);
  ~RowCipher();
  RowCipher(const RowCipher&) = delete;
  RowCipher& operator=(const RowCipher&) = delete;

  const RowLayout& layout() const { return layout_; }
  // Rows [first, first + count) of `rows` (quantised at most to +-127) into
  // `region` (layout().region_bytes() bytes), with a fresh random nonce.
  void encrypt_block(const QuantizedRows& rows, std::size_t first, std::size_t count,
                     std::span<std::uint8_t> region) const;
  // Candidate i's quantised template.
  void decrypt(const CandidateRows& c, std::size_t i, std::int8_t* out) const;
  // Every candidate scored against the full quantised probe; the best k,
  // best first (ties by index). Match::index is the gallery index b * n + k.
  std::vector<Match> rescore(const CandidateRows& c, std::span<const std::int16_t> probe,
                             std::size_t k) const;

 private:
  ring::Seed row_seed(const std::uint8_t* nonce) const;
  RowLayout layout_;
  ring::Seed key_{};
};

}  // namespace veil::search

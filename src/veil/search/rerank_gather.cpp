// The server's half of stage 2 (rerank.h): copying the requested rows out of
// the regions. Kept apart from the RowCipher so that the search server links
// no code that can read a row.
#include <cstring>
#include <stdexcept>
#include <string>

#include "veil/search/rerank.h"

namespace veil::search {

namespace {

std::uint64_t header_dimension(const std::uint8_t* region) {
  std::uint64_t d = 0;
  for (int i = 0; i < 8; ++i) d |= std::uint64_t{region[kRowNonceBytes + i]} << (8 * i);
  return d;
}

}  // namespace

void check_row_layout(const RowLayout& l) {
  if (l.n == 0 || l.dimension == 0 || l.dimension > kMaxRowDimension) {
    throw std::invalid_argument("stage-2 rows: dimension " + std::to_string(l.dimension) +
                                " and slots " + std::to_string(l.n) + " (expected 1.." +
                                std::to_string(kMaxRowDimension) + " dimensions, >= 1 slot)");
  }
}

CandidateRows gather_rows(const RowLayout& layout, std::span<const std::uint8_t* const> regions,
                          std::span<const std::uint64_t> candidates) {
  check_row_layout(layout);
  const std::uint64_t total = static_cast<std::uint64_t>(regions.size()) * layout.n;
  for (std::uint64_t idx : candidates) {
    if (idx >= total) {
      throw std::invalid_argument("stage-2 rows: candidate " + std::to_string(idx) +
                                  " beyond the gallery's " + std::to_string(total) + " slots");
    }
  }
  CandidateRows out;
  out.dimension = layout.dimension;
  out.index.assign(candidates.begin(), candidates.end());
  out.nonces.resize(candidates.size() * kRowNonceBytes);
  out.rows.resize(candidates.size() * layout.dimension);
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const std::uint8_t* region = regions[candidates[i] / layout.n];
    if (header_dimension(region) != layout.dimension) {
      throw std::invalid_argument(
          "stage-2 rows: block " + std::to_string(candidates[i] / layout.n) + " holds " +
          std::to_string(header_dimension(region)) + "-dimensional rows, expected " +
          std::to_string(layout.dimension));
    }
    std::memcpy(out.nonces.data() + i * kRowNonceBytes, region, kRowNonceBytes);
    std::memcpy(out.rows.data() + i * layout.dimension,
                region + layout.row_offset(candidates[i] % layout.n), layout.dimension);
  }
  return out;
}

}  // namespace veil::search

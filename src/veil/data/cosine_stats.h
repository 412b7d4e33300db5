// Genuine and impostor cosine-similarity distributions of a labelled set:
// the yardstick the identity generator is calibrated against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "veil/data/matrix.h"

namespace veil::data {

struct LabeledSet;

struct CosineStats {
  double genuine_mean = 0, genuine_std = 0;    // pairs with the same label
  double impostor_mean = 0, impostor_std = 0;  // pairs with different labels
  std::uint64_t genuine_pairs = 0, impostor_pairs = 0;
};

// Over all unordered pairs of distinct rows (i < j), cosine = x_i.x_j /
// (|x_i| |x_j|), so rows need not be unit length; a zero row is an
// std::invalid_argument. Standard deviations are population (divide by the
// pair count). O(rows^2 * cols): refused (std::invalid_argument) above
// max_rows rows; compute it on a subset (e.g. fewer generated identities).
CosineStats cosine_stats(const Matrix& x, const std::vector<std::int64_t>& labels,
                         std::size_t max_rows = 20000);
CosineStats cosine_stats(const LabeledSet& set, std::size_t max_rows = 20000);

// One line: "genuine 0.712 +- 0.093 (12345 pairs), impostor 0.101 +- 0.087 (...)".
std::string to_string(const CosineStats& s);

}  // namespace veil::data

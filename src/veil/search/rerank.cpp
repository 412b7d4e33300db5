#include "veil/search/rerank.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "veil/ring/xof.h"
#include "veil/rlwe/errors.h"
#include "veil/rlwe/secret_digest.h"

namespace veil::search {

namespace {

constexpr char kRowKeyLabel[] = "veil stage-2 rows v1";

}  // namespace

RowCipher::RowCipher(const rlwe::Context& ctx, const rlwe::SecretKey& sk, RowLayout layout)
    : layout_(layout) {
  check_row_layout(layout_);
  rlwe::require_param_id(sk.param_id, ctx.id(), "stage-2 rows: secret key");
  key_ = rlwe::secret_digest(sk, kRowKeyLabel);
}

RowCipher::~RowCipher() { sodium_memzero(key_.data(), key_.size()); }

ring::Seed RowCipher::row_seed(const std::uint8_t* nonce) const {
  ring::Seed seed{};
  crypto_generichash(seed.data(), seed.size(), nonce, kRowNonceBytes, key_.data(), key_.size());
  return seed;
}

void RowCipher::encrypt_block(const QuantizedRows& rows, std::size_t first, std::size_t count,
                              std::span<std::uint8_t> region) const {
  const std::size_t d = layout_.dimension;
  if (rows.dimension != d) {
    throw InputError("stage-2 rows: templates have dimension " + std::to_string(rows.dimension) +
                     ", expected " + std::to_string(d));
  }
  if (count > layout_.n || first > rows.rows || count > rows.rows - first) {
    throw std::invalid_argument("stage-2 rows: rows [" + std::to_string(first) + ", +" +
                                std::to_string(count) + ") of " + std::to_string(rows.rows) +
                                " into a block of " + std::to_string(layout_.n) + " slots");
  }
  if (region.size() != layout_.region_bytes()) {
    throw std::invalid_argument("stage-2 rows: region of " + std::to_string(region.size()) +
                                " bytes, expected " + std::to_string(layout_.region_bytes()));
  }
  for (std::size_t i = 0; i < count * d; ++i) {
    const std::int16_t v = rows.values[first * d + i];
    if (v < -127 || v > 127) {
      throw InputError("stage-2 rows: quantised value " + std::to_string(v) +
                       " outside [-127, 127] in row " + std::to_string(first + i / d));
    }
  }
  std::fill(region.begin(), region.end(), 0);
  const ring::Seed nonce_seed = ring::random_seed();
  std::memcpy(region.data(), nonce_seed.data(), kRowNonceBytes);
  for (int i = 0; i < 8; ++i) region[kRowNonceBytes + i] = static_cast<std::uint8_t>(d >> (8 * i));
  ring::Seed seed = row_seed(region.data());
  for (std::size_t k = 0; k < layout_.n; ++k) {
    std::uint8_t* row = region.data() + layout_.row_offset(k);
    if (k < count) {
      for (std::size_t j = 0; j < d; ++j) {
        row[j] = static_cast<std::uint8_t>(rows.values[(first + k) * d + j]);
      }
    }
    ring::keystream_xor(seed, k, row, d);
  }
  sodium_memzero(seed.data(), seed.size());
}

void RowCipher::decrypt(const CandidateRows& c, std::size_t i, std::int8_t* out) const {
  const std::size_t d = layout_.dimension;
  if (c.dimension != d || i >= c.size() || c.rows.size() != c.size() * d ||
      c.nonces.size() != c.size() * kRowNonceBytes) {
    throw std::invalid_argument("stage-2 rows: candidate " + std::to_string(i) + " of " +
                                std::to_string(c.size()) + " (" + std::to_string(c.dimension) +
                                "-dimensional), expected " + std::to_string(d) + " dimensions");
  }
  ring::Seed seed = row_seed(c.nonces.data() + i * kRowNonceBytes);
  auto* bytes = reinterpret_cast<std::uint8_t*>(out);
  std::memcpy(bytes, c.rows.data() + i * d, d);
  ring::keystream_xor(seed, c.index[i] % layout_.n, bytes, d);
  sodium_memzero(seed.data(), seed.size());
}

std::vector<Match> RowCipher::rescore(const CandidateRows& c, std::span<const std::int16_t> probe,
                                      std::size_t k) const {
  const std::size_t d = layout_.dimension;
  if (probe.size() != d) {
    throw InputError("stage-2 rows: probe has dimension " + std::to_string(probe.size()) +
                     ", expected " + std::to_string(d));
  }
  std::vector<Match> all(c.size());
  std::vector<std::int8_t> row(d);
  for (std::size_t i = 0; i < c.size(); ++i) {
    decrypt(c, i, row.data());
    std::int64_t s = 0;
    for (std::size_t j = 0; j < d; ++j) s += std::int64_t{row[j]} * probe[j];
    all[i] = {static_cast<std::size_t>(c.index[i]), s};
  }
  sodium_memzero(row.data(), row.size());
  const std::size_t keep = std::min(k, all.size());
  std::partial_sort(all.begin(), all.begin() + keep, all.end(), [](const Match& a, const Match& b) {
    return a.score != b.score ? a.score > b.score : a.index < b.index;
  });
  all.resize(keep);
  return all;
}

}  // namespace veil::search

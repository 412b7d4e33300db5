#include "veil/reduce/torch/pk_sampler.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

namespace veil::reduce {

namespace {
// Xof domain for batch sampling (distinct from any other stream of the seed).
constexpr std::uint64_t kSamplerDomain = 0x706b2d6261746368;  // "pk-batch"
}  // namespace

std::uint64_t uniform_below(ring::Xof& xof, std::uint64_t n) {
  if (n == 0) throw std::invalid_argument("uniform_below: n must be positive, got 0");
  // Accept only values below the largest multiple of n that fits in 64 bits.
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
  for (;;) {
    const std::uint64_t v = xof.next_u64();
    if (v < limit) return v % n;
  }
}

ring::Seed training_seed(std::uint64_t seed) {
  ring::Seed s{};
  for (std::size_t i = 0; i < 8; ++i) s[i] = static_cast<std::uint8_t>(seed >> (8 * i));
  constexpr char kTag[] = "veil deepmds training";  // fills bytes 8..29
  for (std::size_t i = 0; i + 1 < sizeof(kTag) && 8 + i < s.size(); ++i) {
    s[8 + i] = static_cast<std::uint8_t>(kTag[i]);
  }
  return s;
}

PkSampler::PkSampler(std::span<const std::int64_t> labels, std::size_t identities_per_batch,
                     std::size_t samples_per_identity, std::uint64_t seed)
    : xof_(training_seed(seed), kSamplerDomain) {
  if (identities_per_batch < 2) {
    throw std::invalid_argument("PkSampler: identities per batch must be >= 2, got " +
                                std::to_string(identities_per_batch));
  }
  if (samples_per_identity < 2) {
    throw std::invalid_argument("PkSampler: samples per identity must be >= 2, got " +
                                std::to_string(samples_per_identity));
  }
  // std::map keeps identities in label order, so the groups (and hence the
  // batches for a seed) do not depend on hash-table layout.
  std::map<std::int64_t, std::vector<std::size_t>> by_label;
  for (std::size_t i = 0; i < labels.size(); ++i) by_label[labels[i]].push_back(i);
  for (auto& [label, rows] : by_label) {
    if (rows.size() >= 2) groups_.push_back(std::move(rows));
  }
  if (groups_.size() < 2) {
    throw std::invalid_argument("PkSampler: need at least 2 identities with >= 2 samples, got " +
                                std::to_string(groups_.size()) + " (of " +
                                std::to_string(by_label.size()) + " identities, " +
                                std::to_string(labels.size()) + " rows)");
  }
  p_ = std::min(identities_per_batch, groups_.size());
  k_ = samples_per_identity;
  order_.resize(groups_.size());
  for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = i;
  const std::size_t per_batch = p_ * k_;
  batches_per_epoch_ = std::max<std::size_t>(1, (labels.size() + per_batch - 1) / per_batch);
}

std::vector<std::size_t> PkSampler::next_batch() {
  std::vector<std::size_t> batch;
  batch.reserve(p_ * k_);
  // Partial Fisher-Yates shuffles, in place: the first p_ entries of order_
  // are a uniform draw of distinct identities, and the first k entries of a
  // group a uniform draw of its distinct rows. The leftover permutation is as
  // good a starting point for the next draw as the sorted one.
  for (std::size_t a = 0; a < p_; ++a) {
    const std::size_t b = a + uniform_below(xof_, order_.size() - a);
    std::swap(order_[a], order_[b]);
    auto& rows = groups_[order_[a]];
    const std::size_t k = std::min(k_, rows.size());
    for (std::size_t c = 0; c < k; ++c) {
      const std::size_t d = c + uniform_below(xof_, rows.size() - c);
      std::swap(rows[c], rows[d]);
      batch.push_back(rows[c]);
    }
  }
  return batch;
}

}  // namespace veil::reduce

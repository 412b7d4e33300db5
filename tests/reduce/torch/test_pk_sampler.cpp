#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <vector>

#include "veil/reduce/torch/pk_sampler.h"

namespace veil::reduce {
namespace {

std::vector<std::int64_t> grouped_labels(std::size_t identities, std::size_t each) {
  std::vector<std::int64_t> labels;
  for (std::size_t i = 0; i < identities; ++i) labels.insert(labels.end(), each, 100 + i);
  return labels;
}

TEST(PkSampler, BatchHoldsPDistinctIdentitiesWithKDistinctRowsEach) {
  const auto labels = grouped_labels(10, 6);
  PkSampler sampler(labels, 4, 3, 7);
  EXPECT_EQ(sampler.batches_per_epoch(), 5u);  // ceil(60 / 12)
  for (int round = 0; round < 20; ++round) {
    const auto batch = sampler.next_batch();
    ASSERT_EQ(batch.size(), 12u);
    EXPECT_EQ(std::set<std::size_t>(batch.begin(), batch.end()).size(), 12u);
    std::set<std::int64_t> identities;
    for (std::size_t g = 0; g < 4; ++g) {
      const std::int64_t id = labels[batch[3 * g]];
      identities.insert(id);
      for (std::size_t k = 1; k < 3; ++k) EXPECT_EQ(labels[batch[3 * g + k]], id);
    }
    EXPECT_EQ(identities.size(), 4u);
  }
}

TEST(PkSampler, SameSeedSameBatchesOtherSeedOtherBatches) {
  const auto labels = grouped_labels(20, 5);
  PkSampler a(labels, 4, 2, 11), b(labels, 4, 2, 11), c(labels, 4, 2, 12);
  bool differs = false;
  for (int round = 0; round < 10; ++round) {
    const auto ba = a.next_batch();
    EXPECT_EQ(ba, b.next_batch());
    differs = differs || ba != c.next_batch();
  }
  EXPECT_TRUE(differs);
}

TEST(PkSampler, EveryIdentityAndRowIsEventuallyDrawn) {
  const auto labels = grouped_labels(6, 4);
  PkSampler sampler(labels, 2, 2, 3);
  std::set<std::size_t> seen;
  for (int round = 0; round < 200; ++round) {
    for (auto r : sampler.next_batch()) seen.insert(r);
  }
  EXPECT_EQ(seen.size(), labels.size());
}

TEST(PkSampler, SmallIdentitiesGiveWhatTheyHaveSingletonsAreSkipped) {
  // identity 1: 5 rows, identity 2: 2 rows, identity 3: 1 row (never drawn).
  const std::vector<std::int64_t> labels{1, 2, 1, 3, 1, 2, 1, 1};
  PkSampler sampler(labels, 5, 3, 1);
  EXPECT_EQ(sampler.eligible_identities(), 2u);
  EXPECT_EQ(sampler.identities_per_batch(), 2u);  // capped
  for (int round = 0; round < 20; ++round) {
    const auto batch = sampler.next_batch();
    ASSERT_EQ(batch.size(), 5u);  // 3 of identity 1 + both of identity 2
    std::map<std::int64_t, int> count;
    for (auto r : batch) ++count[labels[r]];
    EXPECT_EQ(count[1], 3);
    EXPECT_EQ(count[2], 2);
    EXPECT_EQ(count.count(3), 0u);
  }
}

TEST(PkSampler, RefusesBadSizes) {
  const auto labels = grouped_labels(4, 3);
  EXPECT_THROW(PkSampler(labels, 1, 2, 0), std::invalid_argument);
  EXPECT_THROW(PkSampler(labels, 2, 1, 0), std::invalid_argument);
  const std::vector<std::int64_t> one_pair{1, 1, 2, 3, 4};
  EXPECT_THROW(PkSampler(one_pair, 2, 2, 0), std::invalid_argument);
}

TEST(PkSampler, UniformBelowStaysInRangeAndCoversIt) {
  ring::Xof xof(training_seed(5));
  std::vector<int> hits(7, 0);
  for (int i = 0; i < 700; ++i) {
    const auto v = uniform_below(xof, 7);
    ASSERT_LT(v, 7u);
    ++hits[v];
  }
  for (int h : hits) EXPECT_GT(h, 50);  // expected 100 each
  EXPECT_THROW(uniform_below(xof, 0), std::invalid_argument);
}

}  // namespace
}  // namespace veil::reduce

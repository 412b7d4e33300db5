// Stage-2 rows: encryption round trip, exact re-scoring, and bad input.
#include <gtest/gtest.h>

#include <algorithm>

#include "search_fixture.h"
#include "veil/search/rerank.h"

namespace veil::search {
namespace {

using testing::Party;

struct RowsFixture {
  Party party{SearchOptions{.dimension = 8}};
  RowLayout layout{party.config.n, 40};
  QuantizedRows rows = quantize_rows(testing::random_rows(5000, 40, 7), 40, 127);

  std::vector<std::vector<std::uint8_t>> encrypt(const RowCipher& cipher) const {
    std::vector<std::vector<std::uint8_t>> regions;
    for (std::size_t first = 0; first < rows.rows; first += layout.n) {
      regions.emplace_back(layout.region_bytes());
      cipher.encrypt_block(rows, first, std::min(layout.n, rows.rows - first), regions.back());
    }
    return regions;
  }
  static std::vector<const std::uint8_t*> pointers(
      const std::vector<std::vector<std::uint8_t>>& regions) {
    std::vector<const std::uint8_t*> p;
    for (const auto& r : regions) p.push_back(r.data());
    return p;
  }
};

TEST(Rerank, RowsRoundTripAndUnusedSlotsAreZero) {
  RowsFixture f;
  RowCipher cipher(*f.party.ctx, f.party.sk, f.layout);
  const auto regions = f.encrypt(cipher);
  const auto ptrs = RowsFixture::pointers(regions);
  const std::vector<std::uint64_t> wanted = {0, 17, 4095, 4096, 4999, 5000, 8191};
  CandidateRows c = gather_rows(f.layout, ptrs, wanted);
  ASSERT_EQ(c.size(), wanted.size());
  std::vector<std::int8_t> row(40);
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    cipher.decrypt(c, i, row.data());
    for (std::size_t j = 0; j < 40; ++j) {
      const std::int16_t expect = wanted[i] < 5000 ? f.rows.row(wanted[i])[j] : 0;
      ASSERT_EQ(row[j], expect) << "candidate " << wanted[i] << " dim " << j;
    }
  }
}

TEST(Rerank, CiphertextHidesRowsAndNoncesAreFresh) {
  RowsFixture f;
  RowCipher cipher(*f.party.ctx, f.party.sk, f.layout);
  const auto a = f.encrypt(cipher), b = f.encrypt(cipher);
  // Two encryptions of the same rows share no nonce and differ in (almost) every row byte.
  EXPECT_NE(std::vector<std::uint8_t>(a[0].begin(), a[0].begin() + kRowNonceBytes),
            std::vector<std::uint8_t>(b[0].begin(), b[0].begin() + kRowNonceBytes));
  std::size_t same = 0, plain = 0;
  for (std::size_t i = kRowHeaderBytes; i < kRowHeaderBytes + 4096 * 40; ++i) {
    same += a[0][i] == b[0][i];
    plain += a[0][i] == static_cast<std::uint8_t>(f.rows.values[(i - kRowHeaderBytes)]);
  }
  // A uniform byte matches with probability 1/256: 640 expected of 163840.
  EXPECT_LT(same, 900u);
  EXPECT_LT(plain, 900u);
}

TEST(Rerank, RescoreIsExactAndRanksLikePlaintext) {
  RowsFixture f;
  RowCipher cipher(*f.party.ctx, f.party.sk, f.layout);
  const auto regions = f.encrypt(cipher);
  const auto probe = quantize_rows(testing::random_rows(1, 40, 99), 40, 127);
  std::vector<std::uint64_t> wanted;
  for (std::uint64_t i = 3; i < 5000; i += 7) wanted.push_back(i);
  CandidateRows c = gather_rows(f.layout, RowsFixture::pointers(regions), wanted);
  const auto best = cipher.rescore(c, probe.row(0), 10);
  std::vector<Match> expect;
  for (std::uint64_t i : wanted) expect.push_back({i, quantized_dot(f.rows.row(i), probe.row(0))});
  std::sort(expect.begin(), expect.end(), [](const Match& a, const Match& b) {
    return a.score != b.score ? a.score > b.score : a.index < b.index;
  });
  ASSERT_EQ(best.size(), 10u);
  for (std::size_t r = 0; r < 10; ++r) {
    EXPECT_EQ(best[r].index, expect[r].index) << "rank " << r;
    EXPECT_EQ(best[r].score, expect[r].score) << "rank " << r;
  }
  EXPECT_EQ(cipher.rescore(c, probe.row(0), 100000).size(), wanted.size());
}

TEST(Rerank, AnotherKeyReadsGarbage) {
  RowsFixture f;
  Party other(SearchOptions{.dimension = 8});
  RowCipher mine(*f.party.ctx, f.party.sk, f.layout), theirs(*other.ctx, other.sk, f.layout);
  const auto regions = f.encrypt(mine);
  CandidateRows c =
      gather_rows(f.layout, RowsFixture::pointers(regions), std::vector<std::uint64_t>{5});
  std::vector<std::int8_t> row(40);
  theirs.decrypt(c, 0, row.data());
  std::size_t equal = 0;
  for (std::size_t j = 0; j < 40; ++j) equal += row[j] == f.rows.row(5)[j];
  EXPECT_LT(equal, 5u);
}

TEST(Rerank, BadInputIsRefused) {
  RowsFixture f;
  RowCipher cipher(*f.party.ctx, f.party.sk, f.layout);
  std::vector<std::uint8_t> region(f.layout.region_bytes());
  QuantizedRows wide = f.rows;
  wide.values[3] = 128;
  EXPECT_THROW(cipher.encrypt_block(wide, 0, 10, region), InputError);
  EXPECT_THROW(cipher.encrypt_block(f.rows, 4990, 20, region), std::invalid_argument);
  std::vector<std::uint8_t> small(region.size() - 64);
  EXPECT_THROW(cipher.encrypt_block(f.rows, 0, 10, small), std::invalid_argument);
  cipher.encrypt_block(f.rows, 0, 10, region);
  std::vector<const std::uint8_t*> ptrs = {region.data()};
  EXPECT_THROW(gather_rows(f.layout, ptrs, std::vector<std::uint64_t>{4096}),
               std::invalid_argument);
  RowLayout other{f.layout.n, 41};
  std::vector<std::uint8_t> r41(other.region_bytes());
  std::vector<const std::uint8_t*> p41 = {r41.data()};
  RowCipher c41(*f.party.ctx, f.party.sk, other);
  c41.encrypt_block(quantize_rows(testing::random_rows(3, 41, 1), 41, 127), 0, 3, r41);
  EXPECT_THROW(gather_rows(f.layout, p41, std::vector<std::uint64_t>{0}), std::invalid_argument);
  CandidateRows c = gather_rows(f.layout, ptrs, std::vector<std::uint64_t>{1});
  std::vector<std::int16_t> short_probe(39);
  EXPECT_THROW(cipher.rescore(c, short_probe, 1), InputError);
  EXPECT_THROW(RowCipher(*f.party.ctx, f.party.sk, RowLayout{4096, 0}), std::invalid_argument);
}

}  // namespace
}  // namespace veil::search

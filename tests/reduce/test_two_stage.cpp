// Two-stage encrypted search: exact full-dimension top-k when K covers the
// true neighbours, stage 1 equal to the plaintext reduced ranking, bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "search/search_fixture.h"
#include "veil/reduce/two_stage.h"

namespace veil::reduce {
namespace {

// Keeps the first `out` coordinates (then normalises): a stand-in reduction
// whose effect the test controls.
class TruncateReducer final : public Reducer {
 public:
  TruncateReducer(std::size_t in, std::size_t out) : in_(in), out_(out) {}
  ModelKind kind() const override { return ModelKind::kPca; }
  std::size_t input_dim() const override { return in_; }
  std::size_t output_dim() const override { return out_; }
  data::Matrix apply(const data::Matrix& x) const override {
    data::Matrix y{x.rows, out_, std::vector<float>(x.rows * out_)};
    for (std::size_t i = 0; i < x.rows; ++i) std::copy(x.row(i), x.row(i) + out_, y.row(i));
    normalize_rows(y);
    return y;
  }
  void write_fields(std::vector<std::uint8_t>&) const override {}
  std::string describe() const override { return "truncate"; }

 private:
  std::size_t in_, out_;
};

constexpr std::size_t kFull = 64, kCoarse = 16, kTemplates = 5000;

// Most of each row's energy sits in the first kCoarse coordinates, so the
// coarse ranking is close to the full one.
data::Matrix gallery_rows() {
  data::Matrix m{kTemplates, kFull, search::testing::random_rows(kTemplates, kFull, 11)};
  for (std::size_t i = 0; i < m.rows; ++i)
    for (std::size_t j = kCoarse; j < kFull; ++j) m.row(i)[j] *= 0.3f;
  normalize_rows(m);
  return m;
}

struct TwoStageFixture {
  search::testing::Party party{search::SearchOptions{.dimension = kCoarse}};
  TwoStageLayout layout = make_two_stage_layout(party.config, kFull);
  std::shared_ptr<const Reducer> reducer = std::make_shared<TruncateReducer>(kFull, kCoarse);
  data::Matrix full = gallery_rows();
  std::vector<BlockBytes> blocks;

  TwoStageFixture() {
    TwoStageEnroller enroller(layout, party.ctx, party.sk, reducer);
    for (std::size_t first = 0; first < kTemplates; first += layout.coarse.n) {
      blocks.emplace_back(layout.block_bytes());
      enroller.encrypt_block(full, first, std::min(layout.coarse.n, kTemplates - first),
                             blocks.back(), 2);
    }
  }
  TwoStageSearcher searcher() const {
    std::vector<const std::uint8_t*> p;
    for (const auto& b : blocks) p.push_back(b.data());
    return TwoStageSearcher(layout, party.ctx, party.sk, party.key_id, party.galois, reducer, p,
                            kTemplates, 2);
  }
  std::vector<float> probe_near(std::size_t row) const {
    std::vector<float> p(full.row(row), full.row(row) + kFull);
    const auto noise = search::testing::random_rows(1, kFull, 77 + static_cast<std::uint32_t>(row));
    for (std::size_t j = 0; j < kFull; ++j) p[j] += 0.05f * noise[j];
    return p;
  }
};

std::vector<search::Match> exact_top(const data::Matrix& rows, std::span<const float> probe,
                                     std::size_t dim, std::uint32_t scale, std::size_t k) {
  const auto q = search::quantize_rows(rows.values, rows.cols, scale);
  const auto p = search::quantize_rows(probe, dim, scale);
  std::vector<std::int64_t> s(rows.rows);
  for (std::size_t i = 0; i < rows.rows; ++i) s[i] = search::quantized_dot(q.row(i), p.row(0));
  return search::top_k(s, k);
}

TEST(TwoStage, ExactFullTopKWhenKCoversTheNeighbours) {
  TwoStageFixture f;
  const TwoStageSearcher s = f.searcher();
  for (std::size_t row : {3u, 2500u, 4999u}) {
    const std::vector<float> probe = f.probe_near(row);
    const auto exact = exact_top(f.full, probe, kFull, f.layout.full_scale, 10);
    for (std::size_t K : {200u, 5000u}) {
      const TwoStageResult r = s.search(probe, K, 10);
      std::set<std::size_t> candidates;
      for (const auto& m : r.coarse) candidates.insert(m.index);
      ASSERT_EQ(r.coarse.size(), K);
      for (const auto& m : exact)
        ASSERT_TRUE(candidates.count(m.index)) << "K=" << K << " misses neighbour " << m.index;
      ASSERT_EQ(r.matches.size(), 10u);
      for (std::size_t i = 0; i < 10; ++i) {
        EXPECT_EQ(r.matches[i].index, exact[i].index) << "row " << row << " K " << K;
        EXPECT_EQ(r.matches[i].score, exact[i].score) << "row " << row << " K " << K;
      }
      EXPECT_EQ(r.matches[0].index, row);
    }
  }
}

TEST(TwoStage, StageOneRanksLikeThePlaintextReducedSearch) {
  TwoStageFixture f;
  const std::vector<float> probe = f.probe_near(42);
  const TwoStageResult r = f.searcher().search(probe, 50, 5);
  data::Matrix p1{1, kFull, probe};
  const auto expect = exact_top(f.reducer->apply(f.full), f.reducer->apply(p1).values, kCoarse,
                                f.layout.coarse.quant_scale, 50);
  ASSERT_EQ(r.coarse.size(), expect.size());
  for (std::size_t i = 0; i < expect.size(); ++i) {
    EXPECT_EQ(r.coarse[i].index, expect[i].index) << i;
    EXPECT_EQ(r.coarse[i].score, expect[i].score) << i;
  }
  EXPECT_GT(r.probe_bytes, 0u);
  // The serialised messages: envelope header, version and counts, then per
  // candidate its slot (request) or slot, nonce and row (rows).
  EXPECT_EQ(r.request_bytes, 64u + 12 + 50u * 8);
  EXPECT_EQ(r.rows_bytes, 64u + 20 + 50u * (8 + 16 + kFull));
}

TEST(TwoStage, SlotFilterKeepsRemovedTemplatesOut) {
  TwoStageFixture f;
  const TwoStageSearcher s = f.searcher();
  const std::vector<float> probe = f.probe_near(1234);
  const TwoStageResult all = s.search(probe, 100, 5);
  ASSERT_EQ(all.matches[0].index, 1234u);
  // Remove the best match and every even slot.
  auto live = [](std::size_t i) { return i != 1234 && i % 2 == 1; };
  const TwoStageResult r = s.search(probe, 100, 5, live);
  ASSERT_EQ(r.coarse.size(), 100u);
  for (const auto& m : r.coarse) EXPECT_TRUE(live(m.index)) << m.index;
  for (const auto& m : r.matches) EXPECT_TRUE(live(m.index)) << m.index;
}

TEST(TwoStage, PrepareRefusesABadRowBeforeAnyBlock) {
  TwoStageFixture f;
  TwoStageEnroller e(f.layout, f.party.ctx, f.party.sk, f.reducer);
  data::Matrix bad = f.full;
  bad.row(4999)[0] = std::nanf("");  // in the last block
  EXPECT_THROW(e.prepare(bad), search::InputError);
  // A row the model maps to zero (its first kCoarse values are zero).
  data::Matrix zero_reduced = f.full;
  std::fill(zero_reduced.row(10), zero_reduced.row(10) + kCoarse, 0.0f);
  EXPECT_THROW(e.prepare(zero_reduced), search::InputError);
  const TwoStageRows rows = e.prepare(f.full);
  EXPECT_EQ(rows.rows(), kTemplates);
  BlockBytes out(f.layout.block_bytes());
  EXPECT_THROW(e.encrypt_block(rows, kTemplates - 10, 20, out, 1), std::invalid_argument);
}

TEST(TwoStage, BadInputIsRefused) {
  TwoStageFixture f;
  const TwoStageSearcher s = f.searcher();
  std::vector<float> probe = f.probe_near(1);
  EXPECT_THROW(s.search(probe, 5, 10), std::invalid_argument);  // K < k
  EXPECT_THROW(s.search(std::span<const float>(probe).first(kFull - 1), 50, 10),
               search::InputError);
  auto wrong = std::make_shared<TruncateReducer>(kFull, kCoarse + 1);
  EXPECT_THROW(TwoStageEnroller(f.layout, f.party.ctx, f.party.sk, wrong), std::invalid_argument);
  EXPECT_THROW(make_two_stage_layout(f.party.config, kFull, 128), std::invalid_argument);
  EXPECT_THROW(make_two_stage_layout(f.party.config, kCoarse - 1), std::invalid_argument);
  search::SearchConfig pk = search::SearchConfig::derive(
      {.dimension = kCoarse, .gallery = search::Encryption::kPublicKey});
  EXPECT_THROW(make_two_stage_layout(pk, kFull), std::invalid_argument);
  TwoStageEnroller e(f.layout, f.party.ctx, f.party.sk, f.reducer);
  BlockBytes out(f.layout.block_bytes());
  data::Matrix bad = f.full;
  bad.row(7)[3] = std::nanf("");
  EXPECT_THROW(e.encrypt_block(bad, 0, 10, out, 1), search::InputError);
}

}  // namespace
}  // namespace veil::reduce

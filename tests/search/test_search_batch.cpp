// Several probes in one gallery pass (SearchServer::search_batch) give
// byte-identical responses to one pass per probe, for both scan kernels,
// batch sizes that do and do not divide the tile count, and more probes
// than one pass takes.
#include <gtest/gtest.h>

#include "search_fixture.h"
#include "veil/rlwe/errors.h"

namespace veil::search {
namespace {

using testing::Party;

std::vector<EncryptedProbe> encrypt_probes(const Party& party, std::size_t count,
                                           std::uint32_t seed) {
  const auto& c = party.config;
  auto rows =
      quantize_rows(testing::random_rows(count, c.dimension, seed), c.dimension, c.quant_scale);
  ProbeEncryptor enc(c, party.ctx, party.sk, party.key_id);
  std::vector<EncryptedProbe> probes;
  for (std::size_t p = 0; p < count; ++p) probes.push_back(enc.encrypt(rows.row(p)));
  return probes;
}

void check_batch(std::size_t dimension, std::size_t rows_count, std::size_t probes_count,
                 ScanKernel kernel) {
  Party party({.dimension = dimension});
  const auto& c = party.config;
  auto rows =
      quantize_rows(testing::random_rows(rows_count, c.dimension, 3), c.dimension, c.quant_scale);
  auto blocks = testing::encrypt_gallery(party, rows);
  auto ptrs = testing::pointers(blocks);
  SearchServer server(c, party.ctx, party.galois, party.key_id, 2);
  server.set_kernel(kernel);
  const auto probes = encrypt_probes(party, probes_count, 11);
  ScanTimings t;
  const std::vector<EncryptedScores> batch = server.search_batch(probes, ptrs, &t);
  ASSERT_EQ(batch.size(), probes.size());
  EXPECT_GT(t.scan_s, 0);
  for (std::size_t p = 0; p < probes.size(); ++p) {
    const EncryptedScores one = server.search(probes[p], ptrs);
    EXPECT_EQ(save_scores(c, batch[p]), save_scores(c, one)) << "probe " << p;
  }
  // And the scores are the right ones, not merely equal: decrypt one.
  ScoreDecryptor dec(c, party.ctx, party.sk, party.key_id);
  const std::size_t last = probes.size() - 1;
  auto scores = dec.decrypt(batch[last], testing::probe_key(party, dec, probes[last]), 2);
  auto probe_rows = quantize_rows(testing::random_rows(probes_count, c.dimension, 11), c.dimension,
                                  c.quant_scale);
  for (std::size_t i = 0; i < rows.rows; ++i)
    ASSERT_EQ(scores[i], quantized_dot(rows.row(i), probe_rows.row(last))) << "row " << i;
}

TEST(SearchBatch, EightProbesMatchOnePassEach) {
  check_batch(32, 4096 * 2 + 77, 8, default_scan_kernel());
}

TEST(SearchBatch, ScalarKernelOddDimension) { check_batch(37, 900, 3, ScanKernel::kScalar); }

TEST(SearchBatch, MoreProbesThanOnePassTakes) {
  check_batch(8, 300, SearchServer::kMaxBatch + 3, default_scan_kernel());
}

TEST(SearchBatch, RefusesEmptyAndOversizeBatchesOfExpandedProbes) {
  Party party({.dimension = 8});
  SearchServer server(party.config, party.ctx, party.galois, party.key_id, 1);
  std::vector<const std::uint32_t*> none;
  EXPECT_THROW(server.score_batch({}, none), std::invalid_argument);
  std::vector<Words> many(SearchServer::kMaxBatch + 1,
                          Words(probe_words(party.config.n, party.config.dimension)));
  EXPECT_THROW(server.score_batch(many, none), std::invalid_argument);
  std::vector<Words> wrong(1, Words(5));
  EXPECT_THROW(server.score_batch(wrong, none), rlwe::MismatchError);
}

}  // namespace
}  // namespace veil::search

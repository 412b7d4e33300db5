// Encrypted scores equal the plaintext scores of the same quantised vectors.
#include <gtest/gtest.h>

#include "search_fixture.h"

namespace veil::search {
namespace {

using testing::Party;

void check_exact(const SearchOptions& o, std::size_t rows_count, bool pk_gallery, bool pk_probe) {
  Party party(o);
  const auto& c = party.config;
  auto rows =
      quantize_rows(testing::random_rows(rows_count, c.dimension, 7), c.dimension, c.quant_scale);
  auto blocks = testing::encrypt_gallery(party, rows, pk_gallery);
  auto probes = quantize_rows(testing::random_rows(2, c.dimension, 8), c.dimension, c.quant_scale);
  SearchServer server(c, party.ctx, party.galois, party.key_id, 2);
  ScoreDecryptor dec(c, party.ctx, party.sk, party.key_id);
  for (std::size_t pi = 0; pi < probes.rows; ++pi) {
    EncryptedProbe probe =
        pk_probe ? ProbeEncryptor(c, party.ctx, party.pk, party.key_id).encrypt(probes.row(pi))
                 : ProbeEncryptor(c, party.ctx, party.sk, party.key_id).encrypt(probes.row(pi));
    auto ptrs = testing::pointers(blocks);
    EncryptedScores enc = server.search(probe, ptrs);
    ASSERT_EQ(enc.blocks, blocks.size());
    std::vector<std::int64_t> scores = dec.decrypt(enc, testing::probe_key(party, dec, probe), 2);
    ASSERT_EQ(scores.size(), blocks.size() * c.n);
    for (std::size_t i = 0; i < rows.rows; ++i) {
      ASSERT_EQ(scores[i], quantized_dot(rows.row(i), probes.row(pi))) << "row " << i;
    }
    // Unused slots of the last block encrypt zero templates: score 0.
    for (std::size_t i = rows.rows; i < scores.size(); ++i) ASSERT_EQ(scores[i], 0) << "slot " << i;
  }
}

TEST(SearchEndToEnd, ExactScoresSmallDimension) {
  check_exact({.dimension = 8}, 100, false, false);
}

TEST(SearchEndToEnd, ExactScoresTwoBlocksOddDimension) {
  check_exact({.dimension = 37}, 4096 + 300, false, false);
}

TEST(SearchEndToEnd, ExactScoresDimensionOne) { check_exact({.dimension = 1}, 50, false, false); }

TEST(SearchEndToEnd, ExactScoresPublicKeyGalleryAndProbe) {
  check_exact({.dimension = 64, .gallery = Encryption::kPublicKey, .probe = Encryption::kPublicKey},
              500, true, true);
}

TEST(SearchEndToEnd, ExactScoresDimension512) {
  check_exact({.dimension = 512}, 300, false, false);
}

}  // namespace
}  // namespace veil::search

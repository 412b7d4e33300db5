// Rank-1 identification on the real FaceNet set (522 x 512, 10 identities),
// leave-one-out: plaintext float, plaintext quantised, and encrypted search.
// Encrypted scores must equal the quantised ones exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "datasets.h"
#include "search_fixture.h"
#include "veil/data/npy.h"
#include "veil/data/text.h"

namespace veil::search {
namespace {

TEST(FaceNet, RankOneFloatQuantisedEncrypted) {
  auto dir = veil::test::datasets_dir();
  if (!dir || !std::filesystem::exists(*dir / "faces/bollywood10_facenet512/embeddings.npy")) {
    GTEST_SKIP() << "datasets not present";
  }
  const auto base = *dir / "faces/bollywood10_facenet512";
  data::Matrix m = data::read_npy(base / "embeddings.npy");
  std::vector<std::string> labels = data::read_labels_txt(base / "labels.txt");
  ASSERT_EQ(m.rows, labels.size());
  const std::size_t n = m.rows, d = m.cols;

  testing::Party party({.dimension = d});
  const auto& c = party.config;
  QuantizedRows q = quantize_rows(m.values, d, c.quant_scale);

  // Leave-one-out rank-1 from a score function.
  auto rank1 = [&](std::size_t probe, auto score) {
    std::size_t best = probe == 0 ? 1 : 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (i != probe && score(i) > score(best)) best = i;
    }
    return labels[best] == labels[probe];
  };
  std::size_t ok_float = 0, ok_quant = 0;
  for (std::size_t p = 0; p < n; ++p) {
    ok_float += rank1(p, [&](std::size_t i) {
      double s = 0;
      for (std::size_t j = 0; j < d; ++j) s += static_cast<double>(m.row(i)[j]) * m.row(p)[j];
      return s;
    });
    ok_quant += rank1(
        p, [&](std::size_t i) { return static_cast<double>(quantized_dot(q.row(i), q.row(p))); });
  }

  // Encrypted: every 9th embedding as a probe (58 probes) against all 522.
  auto blocks = testing::encrypt_gallery(party, q);
  auto ptrs = testing::pointers(blocks);
  SearchServer server(c, party.ctx, party.galois, party.key_id, 2);
  ScoreDecryptor dec(c, party.ctx, party.sk, party.key_id);
  ProbeEncryptor enc(c, party.ctx, party.sk, party.key_id);
  std::size_t probes = 0, ok_enc = 0, ok_quant_subset = 0;
  for (std::size_t p = 0; p < n; p += 9) {
    auto probe = enc.encrypt(q.row(p));
    auto scores = dec.decrypt(server.search(probe, ptrs), testing::probe_key(party, dec, probe));
    for (std::size_t i = 0; i < n; ++i)
      ASSERT_EQ(scores[i], quantized_dot(q.row(i), q.row(p))) << p << " " << i;
    ++probes;
    ok_enc += rank1(p, [&](std::size_t i) { return static_cast<double>(scores[i]); });
    ok_quant_subset += rank1(
        p, [&](std::size_t i) { return static_cast<double>(quantized_dot(q.row(i), q.row(p))); });
  }
  EXPECT_EQ(ok_enc, ok_quant_subset);
  const double f = 100.0 * ok_float / n, qq = 100.0 * ok_quant / n, e = 100.0 * ok_enc / probes;
  std::printf(
      "FaceNet rank-1 (leave-one-out, %zu probes): float %.2f%%, quantised (s=%u) %.2f%%; "
      "encrypted %.2f%% on %zu probes (quantised on the same probes %.2f%%)\n",
      n, f, c.quant_scale, qq, e, probes, 100.0 * ok_quant_subset / probes);
  ::testing::Test::RecordProperty("rank1_float", std::to_string(f));
  ::testing::Test::RecordProperty("rank1_quantised", std::to_string(qq));
  ::testing::Test::RecordProperty("rank1_encrypted", std::to_string(e));
  // Quantisation to 8 bits costs at most a few probes here.
  EXPECT_GE(qq, f - 2.0);
}

}  // namespace
}  // namespace veil::search

// The noise model that sets the parameters (config.cpp) against measured noise.
#include <gtest/gtest.h>

#include <cmath>

#include "search_fixture.h"

namespace veil::search {
namespace {

struct Measured {
  double stddev, worst;
};

Measured measure(const SearchOptions& o, bool pk) {
  testing::Party party(o);
  const auto& c = party.config;
  auto rows = quantize_rows(testing::random_rows(c.n, c.dimension, 11), c.dimension, c.quant_scale);
  auto blocks = testing::encrypt_gallery(party, rows, pk);
  auto probes = quantize_rows(testing::random_rows(1, c.dimension, 12), c.dimension, c.quant_scale);
  EncryptedProbe probe =
      pk ? ProbeEncryptor(c, party.ctx, party.pk, party.key_id).encrypt(probes.row(0))
         : ProbeEncryptor(c, party.ctx, party.sk, party.key_id).encrypt(probes.row(0));
  SearchServer server(c, party.ctx, party.galois, party.key_id, 2);
  auto ptrs = testing::pointers(blocks);
  EncryptedScores enc = server.search(probe, ptrs);
  ScoreDecryptor dec(c, party.ctx, party.sk, party.key_id);
  std::vector<double> x(c.n);
  dec.decrypt_block_raw(enc, 0, testing::probe_key(party, dec, probe), x.data());
  double sum2 = 0, worst = 0;
  for (std::size_t k = 0; k < c.n; ++k) {
    const double err = x[k] - static_cast<double>(quantized_dot(rows.row(k), probes.row(0)));
    sum2 += err * err;
    worst = std::max(worst, std::fabs(err));
  }
  return {std::sqrt(sum2 / c.n), worst};
}

void check(const SearchOptions& o, bool pk) {
  SearchConfig c = SearchConfig::derive(o);
  NoiseReport r = c.noise();
  // Predicted standard deviation in score units.
  const double predicted = r.total_stddev / (static_cast<double>(c.gallery_delta) * c.probe_delta);
  Measured m = measure(o, pk);
  ::testing::Test::RecordProperty("predicted_stddev", std::to_string(predicted));
  ::testing::Test::RecordProperty("measured_stddev", std::to_string(m.stddev));
  // The model is an upper bound (worst-case template norms) but not a loose one.
  EXPECT_LE(m.stddev, 1.1 * predicted) << "measured " << m.stddev << " predicted " << predicted;
  EXPECT_GE(m.stddev, 0.1 * predicted) << "measured " << m.stddev << " predicted " << predicted;
  EXPECT_LT(m.worst, 0.5);
  EXPECT_LT(m.worst, predicted * 7) << "a score beyond 7 predicted sigma";
}

TEST(NoiseModel, SecretKeyD64) { check({.dimension = 64}, false); }
TEST(NoiseModel, SecretKeyD512) { check({.dimension = 512}, false); }
TEST(NoiseModel, PublicKeyD128) {
  check({.dimension = 128, .gallery = Encryption::kPublicKey, .probe = Encryption::kPublicKey},
        true);
}

TEST(NoiseModel, MarginsMeetTheRequirement) {
  for (std::size_t d : {1u, 2u, 3u, 16u, 100u, 512u, 2048u, 4096u}) {
    SearchConfig c = SearchConfig::derive({.dimension = d});
    NoiseReport r = c.noise();
    EXPECT_GE(r.decode_sigmas, kRequiredSigmas) << d;
    EXPECT_GE(r.wrap_sigmas, kRequiredSigmas) << d;
    if (d <= 2048) {
      EXPECT_EQ(c.quant_scale, kMaxQuantScale) << "8-bit templates up to d=2048";
    }
    EXPECT_GE(c.quant_scale, 100u) << d;
  }
}

}  // namespace
}  // namespace veil::search

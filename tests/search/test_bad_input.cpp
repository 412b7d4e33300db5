// Bad input gets a clear error before any work, or a documented behaviour.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "search_fixture.h"
#include "veil/io/errors.h"
#include "veil/rlwe/errors.h"

namespace veil::search {
namespace {

TEST(BadInput, QuantizeRejectsNanInfZeroAndRaggedRows) {
  std::vector<float> v(8, 0.5f);
  EXPECT_NO_THROW(quantize_rows(v, 4, 127));
  v[5] = std::numeric_limits<float>::quiet_NaN();
  try {
    quantize_rows(v, 4, 127, 10);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("row 11"), std::string::npos) << e.what();
  }
  v[5] = std::numeric_limits<float>::infinity();
  EXPECT_THROW(quantize_rows(v, 4, 127), InputError);
  std::vector<float> zeros(4, 0.0f);
  EXPECT_THROW(quantize_rows(zeros, 4, 127), InputError);
  EXPECT_THROW(quantize_rows(std::vector<float>(7, 1.0f), 4, 127), InputError);
}

TEST(BadInput, QuantizationIsScaleInvariantAndBounded) {
  std::vector<float> a{3, -4}, b{30, -40};
  auto qa = quantize_rows(a, 2, 127), qb = quantize_rows(b, 2, 127);
  EXPECT_EQ(qa.values, qb.values);
  EXPECT_EQ(qa.values[0], 76);    // round(127 * 0.6)
  EXPECT_EQ(qa.values[1], -102);  // round(-127 * 0.8)
}

class BadInputSearch : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { party_ = new testing::Party({.dimension = 16}); }
  static void TearDownTestSuite() { delete party_; }
  static testing::Party* party_;
};
testing::Party* BadInputSearch::party_ = nullptr;

TEST_F(BadInputSearch, WrongDimensionIsRefused) {
  const auto& c = party_->config;
  auto rows = quantize_rows(testing::random_rows(3, 17, 1), 17, c.quant_scale);
  GalleryEncryptor enc(c, party_->ctx, party_->sk);
  EXPECT_THROW(enc.encrypt_block(rows, 0, 3, 1), InputError);
  ProbeEncryptor pe(c, party_->ctx, party_->sk, party_->key_id);
  EXPECT_THROW(pe.encrypt(rows.row(0)), InputError);
}

TEST_F(BadInputSearch, UnquantisedValuesAndBadRangesAreRefused) {
  const auto& c = party_->config;
  QuantizedRows rows{.rows = 1, .dimension = 16, .values = std::vector<std::int16_t>(16, 1000)};
  GalleryEncryptor enc(c, party_->ctx, party_->sk);
  EXPECT_THROW(enc.encrypt_block(rows, 0, 1, 1), InputError);
  rows.values.assign(16, 1);
  EXPECT_THROW(enc.encrypt_block(rows, 0, 2, 1), InputError);
  EXPECT_THROW(enc.encrypt_block(rows, 1, 1, 1), InputError);
  EXPECT_THROW(enc.encrypt_block(rows, 0, 0, 1), InputError);
}

TEST_F(BadInputSearch, ProbeForAnotherConfigurationIsRefused) {
  const auto& c = party_->config;
  auto q = quantize_rows(testing::random_rows(1, 16, 2), 16, c.quant_scale);
  auto wire =
      save_probe(c, *party_->ctx,
                 ProbeEncryptor(c, party_->ctx, party_->sk, party_->key_id).encrypt(q.row(0)));
  EXPECT_NO_THROW(load_probe(c, *party_->ctx, wire));
  SearchConfig other = SearchConfig::derive({.dimension = 32});
  EXPECT_THROW(load_probe(other, *party_->ctx, wire), rlwe::MismatchError);
  // Another parameter set: a context with other primes.
  rlwe::ParameterLiteral lit;
  lit.scheme = rlwe::Scheme::kCkks;
  lit.n = 4096;
  lit.q_bits = {30, 30};
  lit.p_bits = 40;
  auto other_ctx = rlwe::Context::create(lit);
  EXPECT_THROW(load_probe(c, *other_ctx, wire), std::exception);
}

TEST_F(BadInputSearch, TruncatedOrCorruptedProbeIsRefused) {
  const auto& c = party_->config;
  auto q = quantize_rows(testing::random_rows(1, 16, 3), 16, c.quant_scale);
  auto wire =
      save_probe(c, *party_->ctx,
                 ProbeEncryptor(c, party_->ctx, party_->sk, party_->key_id).encrypt(q.row(0)));
  auto truncated = wire;
  truncated.resize(wire.size() - 10);
  EXPECT_THROW(load_probe(c, *party_->ctx, truncated), io::FormatError);
  auto flipped = wire;
  flipped[wire.size() / 2] ^= 1;
  EXPECT_THROW(load_probe(c, *party_->ctx, flipped), io::FormatError);
}

TEST_F(BadInputSearch, ProbeOfAnotherKeySetIsRefusedBeforeAnyWork) {
  const auto& c = party_->config;
  auto rows = quantize_rows(testing::random_rows(50, 16, 4), 16, c.quant_scale);
  auto blocks = testing::encrypt_gallery(*party_, rows);
  rlwe::KeyGenerator kg(party_->ctx);
  rlwe::SecretKey other = kg.secret_key();
  const io::KeyId other_id = key_id_of(*party_->ctx, kg.public_key(other));
  ASSERT_NE(other_id, party_->key_id);
  SearchServer server(c, party_->ctx, party_->galois, party_->key_id, 1);
  auto ptrs = testing::pointers(blocks);
  // Honest client with the other keys: the server refuses, naming both keys.
  auto probe = ProbeEncryptor(c, party_->ctx, other, other_id).encrypt(rows.row(0));
  try {
    server.search(probe, ptrs);
    FAIL() << "a probe of another key set was scanned";
  } catch (const KeyMismatchError& e) {
    EXPECT_NE(std::string(e.what()).find(other_id.hex()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(party_->key_id.hex()), std::string::npos) << e.what();
  }
  // The key id survives the wire.
  EXPECT_EQ(load_probe(c, *party_->ctx, save_probe(c, *party_->ctx, probe)).key_id, other_id);
  // A probe that claims the gallery's key id but is not under its key: the
  // key holder's decoding check still catches it.
  auto forged = ProbeEncryptor(c, party_->ctx, other, party_->key_id).encrypt(rows.row(0));
  EncryptedScores scores = server.search(forged, ptrs);
  ScoreDecryptor dec(c, party_->ctx, party_->sk, party_->key_id);
  EXPECT_THROW(dec.decrypt(scores, testing::probe_key(*party_, dec, forged)), DecodeError);
  // Scores of another key set's gallery are refused by the key holder.
  ScoreDecryptor other_dec(c, party_->ctx, other, other_id);
  EXPECT_THROW(other_dec.decrypt(scores, testing::probe_key(*party_, other_dec, forged)),
               KeyMismatchError);
}

TEST_F(BadInputSearch, KeyIdentityIsAFingerprintOfThePublicKey) {
  rlwe::KeyGenerator kg(party_->ctx);
  rlwe::SecretKey other = kg.secret_key();
  rlwe::PublicKey other_pk = kg.public_key(other);
  EXPECT_EQ(key_id_of(*party_->ctx, party_->pk), party_->key_id);  // deterministic
  EXPECT_NE(key_id_of(*party_->ctx, other_pk), party_->key_id);
  EXPECT_FALSE(party_->key_id.empty());
  EXPECT_TRUE(public_key_matches(party_->ctx, party_->sk, party_->pk));
  EXPECT_TRUE(public_key_matches(party_->ctx, other, other_pk));
  EXPECT_FALSE(public_key_matches(party_->ctx, party_->sk, other_pk));
  EXPECT_FALSE(public_key_matches(party_->ctx, other, party_->pk));
  // A second public key of the same secret is another identity but matches.
  rlwe::PublicKey again = kg.public_key(party_->sk);
  EXPECT_TRUE(public_key_matches(party_->ctx, party_->sk, again));
  EXPECT_THROW(require_key(io::KeyId{}, party_->key_id, "x"), KeyMismatchError);
  EXPECT_NO_THROW(require_key(party_->key_id, party_->key_id, "x"));
}

TEST_F(BadInputSearch, ScoresRoundTripAndRefuseAnotherConfig) {
  const auto& c = party_->config;
  auto rows = quantize_rows(testing::random_rows(20, 16, 5), 16, c.quant_scale);
  auto blocks = testing::encrypt_gallery(*party_, rows);
  SearchServer server(c, party_->ctx, party_->galois, party_->key_id, 1);
  auto ptrs = testing::pointers(blocks);
  auto probe = ProbeEncryptor(c, party_->ctx, party_->sk, party_->key_id).encrypt(rows.row(3));
  auto scores = server.search(probe, ptrs);
  auto bytes = save_scores(c, scores);
  auto back = load_scores(c, party_->ctx->id(), bytes);
  EXPECT_EQ(back.words, scores.words);
  EXPECT_EQ(back.masks, scores.masks);
  EXPECT_THROW(load_scores(SearchConfig::derive({.dimension = 8}), party_->ctx->id(), bytes),
               rlwe::MismatchError);
  bytes.resize(bytes.size() - 1);
  EXPECT_THROW(load_scores(c, party_->ctx->id(), bytes), io::FormatError);
  ScoreDecryptor dec(c, party_->ctx, party_->sk, party_->key_id);
  auto top = top_k(dec.decrypt(back, testing::probe_key(*party_, dec, probe)), 1);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].index, 3u);  // a template matches itself best
}

TEST(TopK, OrderTiesAndFilter) {
  std::vector<std::int64_t> s{5, 9, 9, 1, 7, 9};
  auto t = top_k(s, 3);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].index, 1u);
  EXPECT_EQ(t[1].index, 2u);
  EXPECT_EQ(t[2].index, 5u);
  auto f = top_k(s, 2, [](std::size_t i) { return i != 1 && i != 2; });
  EXPECT_EQ(f[0].index, 5u);
  EXPECT_EQ(f[1].index, 4u);
  EXPECT_EQ(top_k(s, 10).size(), 6u);
  EXPECT_TRUE(top_k(s, 0).empty());
  auto a = above_threshold(s, 7);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a.back().index, 4u);
}

TEST(Config, SaveLoadRoundTripAndValidation) {
  SearchConfig c = SearchConfig::derive({.dimension = 100});
  auto ctx = make_context(c);
  auto bytes = save_config(c, ctx->id());
  SearchConfig back = load_config(bytes);
  EXPECT_EQ(back.id(), c.id());
  EXPECT_EQ(back.describe(), c.describe());
  EXPECT_THROW(SearchConfig::derive({.dimension = 0}), rlwe::ParameterError);
  EXPECT_THROW(SearchConfig::derive({.dimension = 5000}), rlwe::ParameterError);
  EXPECT_THROW(SearchConfig::derive({.dimension = 8, .quant_scale = 500}), rlwe::ParameterError);
  SearchConfig bad = c;
  bad.probe_delta = 1;  // margins collapse
  EXPECT_THROW(bad.validate(), rlwe::ParameterError);
  auto bad_bytes = save_config(bad, ctx->id());
  EXPECT_THROW(load_config(bad_bytes), io::FormatError);
  EXPECT_THROW(load_config(save_config(c, ctx->id() ^ 1)), io::FormatError);
}

}  // namespace
}  // namespace veil::search

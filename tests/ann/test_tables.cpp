// Encrypted tables (ann/tables.h): every entry decrypts to the exact integer
// inner product of the quantised probe and row, for grouped expansions from
// none (G = 1) to full (G = d); coefficients that are not entries are masked.
#include <gtest/gtest.h>

#include <random>

#include "veil/ann/tables.h"
#include "veil/io/errors.h"
#include "veil/rlwe/errors.h"
#include "veil/rlwe/keygen.h"
#include "veil/search/key_identity.h"

namespace veil::ann {
namespace {

struct Keys {
  search::SearchConfig config;
  rlwe::ContextPtr ctx;
  rlwe::SecretKey sk;
  rlwe::GaloisKeys galois;
  io::KeyId key_id;
  explicit Keys(const TableLayout& layout)
      : config(table_scan_config(layout)), ctx(search::make_context(config)) {
    rlwe::KeyGenerator kg(ctx);
    sk = kg.secret_key();
    galois = search::make_expansion_keys(config, ctx, sk);
    key_id = search::key_id_of(*ctx, kg.public_key(sk));
  }
};

std::vector<float> random_rows(std::size_t rows, std::size_t d, std::uint32_t seed) {
  std::mt19937 gen(seed);  // test data only
  std::normal_distribution<float> nd;
  std::vector<float> v(rows * d);
  for (auto& x : v) x = nd(gen);
  return v;
}

double max_norm(const std::vector<float>& v, std::size_t d) {
  double m = 0;
  for (std::size_t i = 0; i < v.size() / d; ++i) {
    double s = 0;
    for (std::size_t j = 0; j < d; ++j) s += double(v[i * d + j]) * v[i * d + j];
    m = std::max(m, std::sqrt(s));
  }
  return m;
}

class TablesByGroups : public ::testing::TestWithParam<std::size_t> {};

// `rows` random 100-d rows and one query, quantised at the tables' scale, the
// rows encrypted into table blocks for layout G = groups.
struct EncryptedRows {
  static constexpr std::size_t d = 100;
  TableLayout layout;
  Keys keys;
  search::QuantizedRows xq, qq;
  std::vector<search::Words> blocks;
  std::vector<const std::uint32_t*> ptrs;
  EncryptedRows(std::size_t groups, std::size_t rows, unsigned seed)
      : layout(make_table_layout(4096, d, groups)), keys(layout) {
    const auto x = random_rows(rows, d, seed);
    const auto q = random_rows(1, d, seed + 1);
    xq = quantize_bounded(x, d, max_norm(x, d), keys.config.quant_scale);
    qq = quantize_bounded(q, d, max_norm(q, d), keys.config.quant_scale);
    blocks = TableEncryptor(keys.config, layout, keys.ctx, keys.sk).encrypt(xq, 2);
    for (const auto& b : blocks) ptrs.push_back(b.data());
  }
};

TEST_P(TablesByGroups, EntriesAreExactInnerProducts) {
  const std::size_t rows = 1500;
  EncryptedRows e(GetParam(), rows, 7);
  const TableLayout& layout = e.layout;
  const Keys& keys = e.keys;
  const auto& xq = e.xq;
  const auto& qq = e.qq;
  const auto& ptrs = e.ptrs;
  ASSERT_EQ(layout.dimension % layout.groups, 0u);
  ASSERT_EQ(e.blocks.size(), layout.blocks_for(rows));

  search::ProbeEncryptor pe(keys.config, keys.ctx, keys.sk, keys.key_id);
  const auto probe = pe.encrypt_grouped(pad_probe(layout, qq.row(0)));
  TableServer server(keys.config, layout, keys.ctx, keys.galois, keys.key_id, 2);
  const auto scores = server.evaluate(probe, ptrs);

  TableDecryptor dec(keys.config, layout, keys.ctx, keys.sk, keys.galois, keys.key_id);
  const auto key = dec.prepare(probe);
  const auto got = dec.decrypt(scores, key, rows);
  ASSERT_EQ(got.size(), rows);
  for (std::size_t k = 0; k < rows; ++k) {
    ASSERT_EQ(got[k], search::quantized_dot(xq.row(k), qq.row(0))) << "row " << k;
  }

  // The other coefficients are masked: decoding whole blocks fails.
  search::ScoreDecryptor whole(keys.config, keys.ctx, keys.sk, keys.key_id);
  if (layout.slots() < layout.n) {
    EXPECT_THROW(whole.decrypt(scores, key), search::DecodeError);
  }
}

INSTANTIATE_TEST_SUITE_P(Groups, TablesByGroups, ::testing::Values(1, 4, 16, 128));

// The querier's pre-expanded probe (G seeded ciphertexts, no key switching)
// gives the same exact entries, survives the wire, and a probe with a wrong
// number of ciphertexts is refused. (With G = 1 the two forms coincide.)
TEST_P(TablesByGroups, PreExpandedProbeGivesTheSameEntries) {
  const std::size_t rows = 700;
  EncryptedRows e(GetParam(), rows, 17);
  const TableLayout& layout = e.layout;
  const Keys& keys = e.keys;
  const auto& xq = e.xq;
  const auto& qq = e.qq;
  const auto& ptrs = e.ptrs;

  search::ProbeEncryptor pe(keys.config, keys.ctx, keys.sk, keys.key_id);
  const auto sent = pe.encrypt_expanded(pad_probe(layout, qq.row(0)), 2);
  ASSERT_EQ(sent.expanded.size(), layout.groups);
  const auto bytes = search::save_probe(keys.config, *keys.ctx, sent);
  const auto probe = search::load_probe(keys.config, *keys.ctx, bytes);
  // G = 1: one ciphertext and no expansion levels, the compact form itself.
  ASSERT_EQ(probe.expanded.size(), layout.groups > 1 ? layout.groups : 0);

  TableServer server(keys.config, layout, keys.ctx, keys.galois, keys.key_id, 2);
  TableDecryptor dec(keys.config, layout, keys.ctx, keys.sk, keys.galois, keys.key_id);
  const auto got = dec.decrypt(server.evaluate(probe, ptrs), dec.prepare(probe), rows);
  for (std::size_t k = 0; k < rows; ++k) {
    ASSERT_EQ(got[k], search::quantized_dot(xq.row(k), qq.row(0))) << "row " << k;
  }

  if (layout.groups > 1) {
    auto short_probe = probe;
    short_probe.expanded.pop_back();
    EXPECT_THROW(server.evaluate(short_probe, ptrs), rlwe::MismatchError);
    const auto short_bytes = search::save_probe(keys.config, *keys.ctx, short_probe);
    EXPECT_THROW(search::load_probe(keys.config, *keys.ctx, short_bytes), io::FormatError);
  }
  auto truncated = bytes;
  truncated.resize(bytes.size() / 2);
  EXPECT_THROW(search::load_probe(keys.config, *keys.ctx, truncated), io::FormatError);
}

TEST(Tables, LayoutPositionsAreDistinctAndInRange) {
  for (std::size_t g : {1, 2, 4, 8, 32}) {
    for (std::size_t d : {100, 128, 300}) {
      const TableLayout l = make_table_layout(4096, d, g);
      std::vector<int> seen(l.n, 0);
      for (std::size_t k = 0; k < l.slots(); ++k) {
        ASSERT_LT(l.position(k), l.n);
        ASSERT_GE(l.position(k), (l.per_group() - 1) * g);
        ++seen[l.position(k)];
      }
      for (int s : seen) ASSERT_LE(s, 1);
    }
  }
}

TEST(Tables, BadInputIsRefused) {
  EXPECT_THROW(make_table_layout(4096, 128, 3), search::InputError);
  EXPECT_THROW(make_table_layout(4096, 128, 0), search::InputError);
  EXPECT_THROW(make_table_layout(4096, 5000, 16), search::InputError);
  const TableLayout l = make_table_layout(4096, 64, 8);
  search::QuantizedRows big;
  big.rows = 1;
  big.dimension = 65;
  big.values.assign(65, 1);
  EXPECT_THROW(pack_table_block(l, big, 0, 1), search::InputError);
  const std::vector<float> v = {3, 4};
  EXPECT_THROW(quantize_bounded(v, 2, 4.9, 127), search::InputError);  // norm 5
  EXPECT_NO_THROW(quantize_bounded(v, 2, 5.0, 127));
  const std::vector<float> nan = {NAN, 0};
  EXPECT_THROW(quantize_bounded(nan, 2, 5.0, 127), search::InputError);
}

TEST(Tables, AnotherKeyDoesNotDecode) {
  const TableLayout layout = make_table_layout(4096, 64, 8);
  Keys a(layout), b(layout);
  const auto x = random_rows(100, 64, 1);
  const auto xq = quantize_bounded(x, 64, max_norm(x, 64), a.config.quant_scale);
  const auto blocks = TableEncryptor(a.config, layout, a.ctx, a.sk).encrypt(xq, 1);
  std::vector<const std::uint32_t*> ptrs = {blocks[0].data()};
  // A probe under key b with b's id relabelled as a's: the server cannot tell.
  search::ProbeEncryptor pe(b.config, b.ctx, b.sk, a.key_id);
  const auto probe = pe.encrypt_grouped(pad_probe(layout, xq.row(0)));
  TableServer server(a.config, layout, a.ctx, a.galois, a.key_id, 1);
  const auto scores = server.evaluate(probe, ptrs);
  TableDecryptor dec(a.config, layout, a.ctx, a.sk, a.galois, a.key_id);
  EXPECT_THROW(dec.decrypt(scores, dec.prepare(probe), 100), search::DecodeError);
}

}  // namespace
}  // namespace veil::ann

// PPPQ-ANN end to end on real data (BIGANN 10k, ground truth shipped): the
// encrypted protocol returns what faiss's plaintext IVF-PQ with the same
// parameters returns, its recall is faiss's, and bad input is refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include "datasets.h"
#include "temp_dir.h"
#include "veil/ann/bench.h"
#include "veil/ann/protocol.h"
#include "veil/data/vecs.h"
#include "veil/io/errors.h"
#include "veil/io/file_io.h"
#include "veil/rlwe/keygen.h"
#include "veil/search/key_identity.h"

namespace veil::ann {
namespace {

struct Fixture {
  data::Matrix base, queries;
  data::IntMatrix truth;
  search::SearchConfig scan;
  rlwe::ContextPtr ctx;
  rlwe::SecretKey sk;
  rlwe::GaloisKeys galois;
  io::KeyId key_id;
  std::optional<BuiltIndex> built;
};

constexpr std::size_t kNprobe = 8, kK = 10;

Fixture* setup() {
  static Fixture* s = [] {
    auto dir = test::datasets_dir();
    if (!dir || !std::filesystem::exists(*dir / "ann" / "bigann10k_base.bvecs")) {
      return static_cast<Fixture*>(nullptr);
    }
    auto* s = new Fixture;
    s->base = data::read_bvecs(*dir / "ann" / "bigann10k_base.bvecs");
    s->queries = data::read_bvecs(*dir / "ann" / "bigann10k_query.bvecs");
    s->truth = data::read_ivecs(*dir / "ann" / "bigann10k_groundtruth.ivecs");
    s->scan = table_scan_config(make_table_layout(4096, 128, 16));
    s->ctx = search::make_context(s->scan);
    rlwe::KeyGenerator kg(s->ctx);
    s->sk = kg.secret_key();
    s->galois = search::make_expansion_keys(s->scan, s->ctx, s->sk);
    s->key_id = search::key_id_of(*s->ctx, kg.public_key(s->sk));
    BuildOptions o;
    o.ivf.nlist = 64;
    o.ivf.m = 16;
    o.groups = 16;
    s->built.emplace(build_index(s->base.values, 128, o, {s->ctx, &s->sk, s->key_id}));
    return s;
  }();
  return s;
}

#define NEED_DATA()                                                   \
  Fixture* s = setup();                                               \
  if (!s) GTEST_SKIP() << "bigann10k not found (../shared/datasets)"; \
  (void)0

std::span<const float> query(const Fixture& s, std::size_t i) {
  return {s.queries.row(i), s.queries.cols};
}

// The server, key service and querier of one index, under the fixture's keys.
struct Parties {
  AnnServer server;
  AnnKeyService ks;
  AnnQuerier querier;
  Parties(const Fixture& f, IndexFiles files)
      : server(std::move(files), f.ctx, f.galois, 2),
        ks(server.params(), f.ctx, f.sk, f.galois, server.key_service_slot()),
        querier(server.params(), f.ctx, f.sk) {}
};

std::vector<Hit> search_one(const AnnServer& server, const AnnKeyService& ks,
                            const AnnQuerier& querier, std::span<const float> q) {
  auto probe = querier.encrypt(q);
  auto tables = server.tables(probe);
  auto key = ks.prepare(probe);
  auto plan = ks.plan(tables, key, kNprobe);
  auto lists = server.lists(plan.lists);
  return ks.rank(plan, lists, kK);
}

TEST(AnnProtocol, EncryptedSearchMatchesPlaintextIvfPq) {
  NEED_DATA();
  const auto& files = s->built->files;
  Parties parties(*s, files);
  auto& [server, ks, querier] = parties;
  const auto plain = s->built->plain.search(s->queries.values, kK, kNprobe);
  std::size_t agree = 0, found = 0, found_plain = 0;
  for (std::size_t i = 0; i < s->queries.rows; ++i) {
    const auto hits = search_one(server, ks, querier, query(*s, i));
    ASSERT_EQ(hits.size(), kK);
    for (std::size_t j = 1; j < hits.size(); ++j) ASSERT_LE(hits[j - 1].distance, hits[j].distance);
    std::set<std::int64_t> truth(s->truth.row(i), s->truth.row(i) + kK);
    std::set<std::int64_t> ours, theirs(plain.begin() + i * kK, plain.begin() + (i + 1) * kK);
    for (const auto& h : hits) ours.insert(static_cast<std::int64_t>(h.id));
    for (auto id : ours) {
      agree += theirs.count(id);
      found += truth.count(id);
    }
    for (auto id : theirs) found_plain += truth.count(id);
  }
  const double n = static_cast<double>(s->queries.rows * kK);
  std::printf(
      "bigann10k nlist 64 m 16 nprobe %zu: recall@10 encrypted %.3f, faiss %.3f, "
      "id agreement %.3f\n",
      kNprobe, found / n, found_plain / n, agree / n);
  // The tables are quantised to 8 bits, so a few near-ties swap; the
  // recall must stay faiss's.
  EXPECT_GE(agree / n, 0.9);
  EXPECT_GE(found / n, found_plain / n - 0.03);
  EXPECT_GE(found / n, 0.5);
}

TEST(AnnProtocol, FilesRoundTripAndRefuseDamage) {
  NEED_DATA();
  test::TempDir tmp;
  const auto dir = tmp.path() / "index";
  write_index(dir, s->built->files);
  EXPECT_THROW(write_index(dir, s->built->files), std::system_error);
  auto loaded = read_index(dir);
  Parties parties(*s, std::move(loaded));
  auto& [server, ks, querier] = parties;
  const auto hits = search_one(server, ks, querier, query(*s, 3));
  EXPECT_EQ(hits.front().id, 3u);  // queries are base vectors 0-99

  // A truncated or flipped file is a FormatError.
  const auto lists = dir / "ann.lists";
  auto bytes = io::read_file(lists, 1 << 30);
  bytes[bytes.size() / 2] ^= 1;
  io::write_file_atomic(lists, bytes);
  EXPECT_THROW(read_index(dir), io::FormatError);
  bytes.resize(bytes.size() - 7);
  io::write_file_atomic(lists, bytes);
  EXPECT_THROW(read_index(dir), io::FormatError);
}

TEST(AnnProtocol, BadInputIsRefused) {
  NEED_DATA();
  const auto& files = s->built->files;
  Parties parties(*s, files);
  auto& [server, ks, querier] = parties;
  std::vector<float> q(query(*s, 0).begin(), query(*s, 0).end());
  EXPECT_THROW(querier.encrypt(std::span<const float>(q).first(100)), search::InputError);
  auto big = q;
  for (auto& v : big) v *= 10;
  EXPECT_THROW(querier.encrypt(big), search::InputError);
  auto nan = q;
  nan[5] = NAN;
  EXPECT_THROW(querier.encrypt(nan), search::InputError);

  auto probe = querier.encrypt(q);
  auto tables = server.tables(probe);
  auto key = ks.prepare(probe);
  EXPECT_THROW(ks.plan(tables, key, 0), search::InputError);
  EXPECT_THROW(ks.plan(tables, key, files.params.nlist + 1), search::InputError);
  auto plan = ks.plan(tables, key, kNprobe);
  const std::uint32_t beyond[] = {static_cast<std::uint32_t>(files.params.nlist)};
  EXPECT_THROW(server.lists(beyond), std::out_of_range);

  auto sealed = server.lists(plan.lists);
  // A list handed out for another slot, or altered, does not open.
  std::swap(sealed[0], sealed[1]);
  EXPECT_THROW(ks.rank(plan, sealed, kK), SealError);
  sealed = server.lists(plan.lists);
  std::vector<std::uint8_t> altered(sealed[0].begin(), sealed[0].end());
  altered[altered.size() / 2] ^= 0x40;
  sealed[0] = altered;
  EXPECT_THROW(ks.rank(plan, sealed, kK), SealError);
  sealed[0] = std::span<const std::uint8_t>(altered).first(10);
  EXPECT_THROW(ks.rank(plan, sealed, kK), SealError);

  // Another secret key opens nothing and decodes no table.
  rlwe::KeyGenerator kg(s->ctx);
  const auto other = kg.secret_key();
  EXPECT_THROW(AnnKeyService(files.params, s->ctx, other, s->galois, server.key_service_slot()),
               SealError);
}

TEST(AnnProtocol, FixedFetchHidesWhichListsAreNearest) {
  NEED_DATA();
  const auto& files = s->built->files;
  Parties parties(*s, files);
  auto& [server, ks, querier] = parties;
  auto probe = querier.encrypt(query(*s, 7));
  auto tables = server.tables(probe);
  auto key = ks.prepare(probe);
  const auto nearest = ks.plan(tables, key, kNprobe);
  const auto a = ks.plan(tables, key, kNprobe, 24);
  const auto b = ks.plan(tables, key, kNprobe, 24);
  ASSERT_EQ(nearest.lists.size(), kNprobe);
  ASSERT_EQ(a.lists.size(), 24u);
  ASSERT_EQ(a.list_terms.size(), 24u);
  // Increasing order, every nearest list present with its own term.
  for (std::size_t i = 1; i < a.lists.size(); ++i) ASSERT_LT(a.lists[i - 1], a.lists[i]);
  for (std::size_t i = 0; i < kNprobe; ++i) {
    const auto at = std::find(a.lists.begin(), a.lists.end(), nearest.lists[i]);
    ASSERT_NE(at, a.lists.end());
    EXPECT_EQ(a.list_terms[at - a.lists.begin()], nearest.list_terms[i]);
  }
  // Fresh decoys per plan (two equal draws of 16 of 56: probability 1e-13).
  EXPECT_NE(a.lists, b.lists);
  // Decoys only add candidates: the k-th distance cannot get worse.
  const auto hits = ks.rank(nearest, server.lists(nearest.lists), kK);
  const auto more = ks.rank(a, server.lists(a.lists), kK);
  ASSERT_EQ(more.size(), kK);
  EXPECT_LE(more.back().distance, hits.back().distance);
  const auto all = ks.plan(tables, key, kNprobe, files.params.nlist);
  ASSERT_EQ(all.lists.size(), files.params.nlist);
  for (std::size_t l = 0; l < all.lists.size(); ++l) EXPECT_EQ(all.lists[l], l);
  EXPECT_THROW(ks.plan(tables, key, kNprobe, kNprobe - 1), search::InputError);
  EXPECT_THROW(ks.plan(tables, key, kNprobe, files.params.nlist + 1), search::InputError);
}

// A second, small index: equal lists and refinement vectors.
constexpr std::size_t kSmallN = 4000, kSmallLists = 16;
const BuiltIndex& small_index(Fixture& s) {
  static const BuiltIndex built = [&] {
    BuildOptions o;
    o.ivf.nlist = kSmallLists;
    o.ivf.m = 16;
    o.groups = 16;
    o.equal_lists = true;
    o.refine = true;
    return build_index(std::span<const float>(s.base.values).first(kSmallN * 128), 128, o,
                       {s.ctx, &s.sk, s.key_id});
  }();
  return built;
}

TEST(AnnProtocol, RefinementReRanksExactly) {
  NEED_DATA();
  const auto& built = small_index(*s);
  Parties parties(*s, built.files);
  auto& [server, ks, querier] = parties;
  // Every list fetched and every entry re-ranked: the exact top-k of the
  // 4000 vectors (int16 rounding may swap a near-tie).
  std::size_t agree = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    const auto q = query(*s, i);
    auto probe = querier.encrypt(q);
    auto plan = ks.plan(server.tables(probe), ks.prepare(probe), 1, kSmallLists);
    const auto sealed_query = querier.seal_query(q);
    const auto hits = ks.rank(plan, server.lists(plan.lists), kK, {kSmallN, sealed_query});
    ASSERT_EQ(hits.size(), kK);
    std::vector<std::pair<double, std::uint64_t>> exact;
    for (std::size_t r = 0; r < kSmallN; ++r) {
      double d2 = 0;
      for (std::size_t j = 0; j < 128; ++j) {
        const double diff = double(q[j]) - s->base.row(r)[j];
        d2 += diff * diff;
      }
      exact.push_back({d2, r});
    }
    std::partial_sort(exact.begin(), exact.begin() + kK, exact.end());
    std::set<std::uint64_t> truth;
    for (std::size_t j = 0; j < kK; ++j) truth.insert(exact[j].second);
    for (const auto& h : hits) agree += truth.count(h.id);
    for (std::size_t j = 1; j < hits.size(); ++j) EXPECT_LE(hits[j - 1].distance, hits[j].distance);
  }
  EXPECT_GE(agree, 5 * kK - 1);

  // Refusals: too few candidates, a query sealed under another key set or
  // altered, and a refinement asked of an index without vectors.
  const auto q = query(*s, 0);
  auto probe = querier.encrypt(q);
  auto plan = ks.plan(server.tables(probe), ks.prepare(probe), 4);
  const auto lists = server.lists(plan.lists);
  auto sealed_query = querier.seal_query(q);
  EXPECT_THROW(ks.rank(plan, lists, kK, {kK - 1, sealed_query}), search::InputError);
  sealed_query[sealed_query.size() / 2] ^= 1;
  EXPECT_THROW(ks.rank(plan, lists, kK, {100, sealed_query}), io::FormatError);
  rlwe::KeyGenerator kg(s->ctx);
  const auto other_sk = kg.secret_key();
  AnnQuerier stranger(server.params(), s->ctx, other_sk);
  EXPECT_THROW(ks.rank(plan, lists, kK, {100, stranger.seal_query(q)}), io::FormatError);
  EXPECT_THROW(stranger.seal_query(std::span<const float>(q).first(64)), search::InputError);

  // The fixture's index was built without refinement vectors.
  Parties plain(*s, s->built->files);
  auto p2 = plain.querier.encrypt(q);
  auto plan2 = plain.ks.plan(plain.server.tables(p2), plain.ks.prepare(p2), 4);
  EXPECT_THROW(
      plain.ks.rank(plan2, plain.server.lists(plan2.lists), kK, {100, plain.querier.seal_query(q)}),
      search::InputError);
}

TEST(AnnProtocol, EqualListsAreAllOneSize) {
  NEED_DATA();
  const auto& built = small_index(*s);
  const auto& lists = built.files.lists;
  ASSERT_EQ(lists.count(), kSmallLists + 1);  // + the centroid norms
  std::size_t largest = 0;
  for (std::size_t l = 0; l < kSmallLists; ++l) {
    EXPECT_EQ(lists.list(l).size(), lists.list(0).size()) << "list " << l;
    largest = std::max(largest, built.plain.list_size(l));
  }
  EXPECT_EQ(built.report.largest_list, largest);
  EXPECT_EQ(built.report.padded_entries, kSmallLists * padded_list_size(largest));
  // The padding is dummies: a search still finds a base vector first.
  Parties parties(*s, built.files);
  auto& [server, ks, querier] = parties;
  const auto hits = search_one(server, ks, querier, {s->base.row(42), 128});
  EXPECT_EQ(hits.front().id, 42u);

  // An explicit padded size below the count is refused (a sealer without
  // refinement vectors: faiss's list has none).
  ListSealer sealer(s->sk, server.params().index_id, 16);
  const auto list = built.plain.list(0);
  EXPECT_THROW(sealer.seal(0, list, list.ids.size() - 1), std::invalid_argument);
  const auto opened = sealer.open(0, sealer.seal(0, list, list.ids.size() + 5));
  EXPECT_EQ(opened.ids.size(), list.ids.size() + 5);
  EXPECT_EQ(opened.ids.back(), kDummyId);
}

TEST(AnnBench, RecallAndExactNeighbours) {
  const std::vector<std::int64_t> truth{1, 2, 3}, got{3, 9, 1};
  EXPECT_DOUBLE_EQ(recall_at(truth, got, 3), 2.0 / 3);
  EXPECT_DOUBLE_EQ(recall_at(truth, {}, 3), 0.0);
  data::Matrix base{4, 2, {0, 0, 10, 0, 0, 10, 10, 10}};
  data::Matrix queries{2, 2, {9, 2, 1, 8}};
  EXPECT_EQ(exact_neighbours(base, queries, 2), (std::vector<std::int64_t>{1, 3, 2, 0}));
}

TEST(AnnBench, RunsEveryPartyAndMeasuresRecall) {
  NEED_DATA();
  const auto& built = small_index(*s);
  data::Matrix queries{6, 128, {}};
  queries.values.assign(s->base.values.begin(), s->base.values.begin() + 6 * 128);
  const auto truth = exact_neighbours(
      data::Matrix{kSmallN, 128, {s->base.values.begin(), s->base.values.begin() + kSmallN * 128}},
      queries, kK);
  BenchKeys keys_view;  // the fixture's keys, which built the index
  keys_view.scan = s->scan;
  keys_view.ctx = s->ctx;
  keys_view.sk = s->sk;
  keys_view.galois = s->galois;
  keys_view.key_id = s->key_id;
  const AnnBench bench(queries, truth, kK, built, keys_view);
  const auto r = bench.run({ProbeForm::kExpanded, 2, kSmallLists, 200, 6});
  // Every list and 200 re-ranked candidates: the base vectors themselves
  // are found (recall of the exact top-10 within int16 rounding).
  EXPECT_GE(r.recall_veil, 0.95);
  EXPECT_GT(r.recall_faiss, 0.0);
  EXPECT_GT(r.concurrent_qps, 0.0);
  EXPECT_GT(r.p50_ms, 0.0);
  EXPECT_LE(r.p50_ms, r.p99_ms);
  EXPECT_GT(r.upload_bytes, 0u);
  EXPECT_DOUBLE_EQ(r.list_bytes, double(built.files.lists.offsets[kSmallLists]));
  EXPECT_THROW(AnnBench(queries, std::vector<std::int64_t>(5), kK, built, keys_view),
               std::invalid_argument);
}

TEST(AnnProtocol, ListSizesArePadded) {
  EXPECT_EQ(padded_list_size(0), 16u);
  EXPECT_EQ(padded_list_size(16), 16u);
  for (std::size_t n : {17, 100, 1000, 12345}) {
    const std::size_t p = padded_list_size(n);
    EXPECT_GE(p, n);
    EXPECT_LE(p, n * 1.19 + 16);
    EXPECT_EQ(p % 16, 0u);
  }
}

}  // namespace
}  // namespace veil::ann

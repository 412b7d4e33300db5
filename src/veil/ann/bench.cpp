#include "veil/ann/bench.h"

#include <faiss/IndexFlat.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <set>
#include <thread>

#include "veil/io/elapsed.h"
#include "veil/rlwe/keygen.h"
#include "veil/search/key_identity.h"
#include "veil/search/parallel.h"

namespace veil::ann {

namespace {

using Clock = std::chrono::steady_clock;
using io::ms_since;
using io::percentile;
using io::s_since;

}  // namespace

std::vector<std::int64_t> exact_neighbours(const data::Matrix& base, const data::Matrix& queries,
                                           std::size_t k) {
  faiss::IndexFlatL2 flat(static_cast<faiss::Index::idx_t>(base.cols));
  flat.add(static_cast<faiss::Index::idx_t>(base.rows), base.values.data());
  std::vector<float> dist(queries.rows * k);
  std::vector<faiss::Index::idx_t> ids(queries.rows * k);
  flat.search(static_cast<faiss::Index::idx_t>(queries.rows), queries.values.data(),
              static_cast<faiss::Index::idx_t>(k), dist.data(), ids.data());
  return {ids.begin(), ids.end()};
}

double recall_at(std::span<const std::int64_t> truth, std::span<const std::int64_t> got,
                 std::size_t k) {
  std::set<std::int64_t> t(truth.begin(), truth.begin() + std::min(k, truth.size()));
  std::size_t hit = 0;
  for (std::size_t i = 0; i < k && i < got.size(); ++i) hit += t.count(got[i]);
  return static_cast<double>(hit) / static_cast<double>(k);
}

BenchKeys::BenchKeys(const TableLayout& layout)
    : scan(table_scan_config(layout)), ctx(search::make_context(scan)) {
  rlwe::KeyGenerator kg(ctx);
  sk = kg.secret_key();
  galois = search::make_expansion_keys(scan, ctx, sk);
  key_id = search::key_id_of(*ctx, kg.public_key(sk));
}

AnnBench::AnnBench(const data::Matrix& queries, std::vector<std::int64_t> truth, std::size_t k,
                   const BuiltIndex& index, const BenchKeys& keys)
    : queries_(queries),
      truth_(std::move(truth)),
      k_(k),
      index_(index),
      keys_(keys),
      server_(index.files, keys.ctx, keys.galois),
      server1_(index.files, keys.ctx, keys.galois, 1),
      ks_(index.files.params, keys.ctx, keys.sk, keys.galois, server_.key_service_slot()) {
  if (truth_.size() < queries.rows * k) {
    throw std::invalid_argument("ann bench: " + std::to_string(truth_.size()) +
                                " ground-truth ids for " + std::to_string(queries.rows) +
                                " queries of k = " + std::to_string(k));
  }
}

BenchResult AnnBench::run(const BenchRun& r) const {
  const auto& params = index_.files.params;
  const std::size_t k = k_, nq = queries_.rows, dim = queries_.cols;
  auto query = [&](std::size_t i) { return std::span<const float>(queries_.row(i), dim); };
  auto truth = [&](std::size_t i) { return std::span<const std::int64_t>(&truth_[i * k], k); };
  BenchResult out;
  const AnnQuerier querier(params, keys_.ctx, keys_.sk, r.form);
  out.upload_bytes = search::save_probe(params.scan, *keys_.ctx, querier.encrypt(query(0))).size();

  auto t0 = Clock::now();
  const auto plain = index_.plain.search(queries_.values, k, r.nprobe);
  out.faiss_qps = nq / s_since(t0);
  for (std::size_t i = 0; i < nq; ++i)
    out.recall_faiss += recall_at(truth(i), {&plain[i * k], k}, k);
  out.recall_faiss /= static_cast<double>(nq);

  std::atomic<std::size_t> list_bytes{0};
  // One query: encrypt, tables (the key service prepares alongside when
  // `overlap`), plan, fetch, rank. Returns {total, tables, plan, rank, encrypt} ms.
  auto one = [&](const AnnServer& srv, std::size_t i, bool overlap,
                 std::vector<std::int64_t>& ids) {
    const auto q0 = Clock::now();
    // Sequential queries encrypt on both cores; concurrent ones on one each.
    auto probe = querier.encrypt(query(i), overlap ? 2 : 1);
    std::vector<std::uint8_t> sealed_query;
    if (r.refine) sealed_query = querier.seal_query(query(i));
    const double t_enc = ms_since(q0);
    search::EncryptedScores tables;
    search::ProbeKey key;
    if (overlap) {
      auto fut = std::async(std::launch::async, [&] { return ks_.prepare(probe); });
      tables = srv.tables(probe);
      key = fut.get();
    } else {
      tables = srv.tables(probe);
      key = ks_.prepare(probe);
    }
    const double t_tables = ms_since(q0) - t_enc;
    const auto q1 = Clock::now();
    auto plan = ks_.plan(tables, key, r.nprobe, r.fetch);
    const double t_plan = ms_since(q1);
    const auto q2 = Clock::now();
    const auto sealed = srv.lists(plan.lists);
    for (const auto& l : sealed) list_bytes += l.size();
    auto hits = ks_.rank(plan, sealed, k, {r.refine, sealed_query});
    const double t_rank = ms_since(q2);
    ids.clear();
    for (const auto& h : hits) ids.push_back(static_cast<std::int64_t>(h.id));
    return std::array<double, 5>{ms_since(q0), t_tables, t_plan, t_rank, t_enc};
  };

  const std::size_t seq = std::min(nq, std::max<std::size_t>(1, r.sequential));
  std::vector<double> lat, enc, tab, pln, rnk;
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < seq; ++i) {
    const auto t = one(server_, i, true, ids);
    lat.push_back(t[0]);
    tab.push_back(t[1]);
    pln.push_back(t[2]);
    rnk.push_back(t[3]);
    enc.push_back(t[4]);
    out.recall_veil += recall_at(truth(i), ids, k);
  }
  out.recall_veil /= static_cast<double>(seq);
  double lat_sum = 0;
  for (double v : lat) lat_sum += v;
  out.sequential_qps = 1000.0 * static_cast<double>(seq) / lat_sum;
  out.p50_ms = percentile(lat, 0.5);
  out.p99_ms = percentile(lat, 0.99);
  out.encrypt_ms = percentile(enc, 0.5);
  out.tables_ms = percentile(tab, 0.5);
  out.plan_ms = percentile(pln, 0.5);
  out.rank_ms = percentile(rnk, 0.5);

  // Throughput: one query per core at a time, every query of the set.
  std::atomic<std::size_t> next{0};
  const std::size_t workers = std::max(1u, std::thread::hardware_concurrency());
  t0 = Clock::now();
  std::vector<std::thread> pool;
  for (std::size_t w = 0; w < workers; ++w) {
    pool.emplace_back([&] {
      std::vector<std::int64_t> local;
      for (std::size_t i; (i = next++) < nq;) one(server1_, i, false, local);
    });
  }
  for (auto& t : pool) t.join();
  out.concurrent_qps = nq / s_since(t0);
  out.list_bytes = static_cast<double>(list_bytes) / static_cast<double>(seq + nq);
  return out;
}

ExactResult exact_encrypted_search(const data::Matrix& base, const data::Matrix& queries,
                                   std::span<const std::int64_t> truth, std::size_t k,
                                   std::size_t queries_used) {
  const std::size_t dim = base.cols;
  const auto layout = make_table_layout(4096, dim, dim);
  BenchKeys keys(layout);
  std::vector<float> norms(base.rows);
  double bound = 0;
  for (std::size_t i = 0; i < base.rows; ++i) {
    double s = 0;
    for (std::size_t j = 0; j < dim; ++j) s += double(base.row(i)[j]) * base.row(i)[j];
    norms[i] = static_cast<float>(s);
    bound = std::max(bound, std::sqrt(s));
  }
  if (bound == 0) bound = 1;
  const double qbound = 1.25 * bound;
  const std::uint32_t s = keys.scan.quant_scale;
  ExactResult out;
  auto t0 = Clock::now();
  const auto rows = quantize_bounded(base.values, dim, bound, s);
  const auto blocks =
      TableEncryptor(keys.scan, layout, keys.ctx, keys.sk).encrypt(rows, search::default_threads());
  out.encrypt_s = s_since(t0);
  out.blocks = blocks.size();
  std::vector<const std::uint32_t*> ptrs;
  for (const auto& b : blocks) ptrs.push_back(b.data());
  TableServer server(keys.scan, layout, keys.ctx, keys.galois, keys.key_id);
  TableDecryptor dec(keys.scan, layout, keys.ctx, keys.sk, keys.galois, keys.key_id);
  search::ProbeEncryptor pe(keys.scan, keys.ctx, keys.sk, keys.key_id);
  const double unit = qbound * bound / (double(s) * s);
  out.queries = std::min(queries_used, queries.rows);
  std::vector<double> lat;
  for (std::size_t i = 0; i < out.queries; ++i) {
    const auto q = quantize_bounded({queries.row(i), dim}, dim, qbound, s);
    t0 = Clock::now();
    const auto probe = pe.encrypt_grouped(pad_probe(layout, q.row(0)));
    auto fut = std::async(std::launch::async, [&] { return dec.prepare(probe); });
    const auto scores = server.evaluate(probe, ptrs);
    const auto key = fut.get();
    const auto ip = dec.decrypt(scores, key, base.rows);
    std::vector<std::pair<float, std::int64_t>> best;
    best.reserve(ip.size());
    for (std::size_t r = 0; r < ip.size(); ++r) {
      best.push_back(
          {static_cast<float>(norms[r] - 2 * unit * ip[r]), static_cast<std::int64_t>(r)});
    }
    const std::size_t kk = std::min(k, best.size());
    std::partial_sort(best.begin(), best.begin() + kk, best.end());
    lat.push_back(ms_since(t0));
    std::vector<std::int64_t> got;
    for (std::size_t j = 0; j < kk; ++j) got.push_back(best[j].second);
    out.recall += recall_at(truth.subspan(i * k, k), got, k);
  }
  if (out.queries) out.recall /= static_cast<double>(out.queries);
  out.p50_ms = percentile(lat, 0.5);
  return out;
}

}  // namespace veil::ann

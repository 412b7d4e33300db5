#include "ann_bench.h"

#include <faiss/IndexFlat.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "ann_plot.h"
#include "arg_checks.h"
#include "cli_checks.h"
#include "timing.h"
#include "veil/ann/protocol.h"
#include "veil/data/clustered_gen.h"
#include "veil/data/embeddings.h"
#include "veil/data/vecs.h"
#include "veil/rlwe/keygen.h"
#include "veil/search/key_identity.h"
#include "veil/search/parallel.h"

namespace veil::apps {

namespace {

struct BenchData {
  data::Matrix base, queries;
  std::vector<std::int64_t> truth;  // queries x k
  std::string label;
  double truth_s = 0;
};

std::vector<std::int64_t> brute_force(const data::Matrix& base, const data::Matrix& queries,
                                      std::size_t k) {
  faiss::IndexFlatL2 flat(static_cast<faiss::Index::idx_t>(base.cols));
  flat.add(static_cast<faiss::Index::idx_t>(base.rows), base.values.data());
  std::vector<float> dist(queries.rows * k);
  std::vector<faiss::Index::idx_t> ids(queries.rows * k);
  flat.search(static_cast<faiss::Index::idx_t>(queries.rows), queries.values.data(),
              static_cast<faiss::Index::idx_t>(k), dist.data(), ids.data());
  return {ids.begin(), ids.end()};
}

double recall(std::span<const std::int64_t> truth, std::span<const std::int64_t> got,
              std::size_t k) {
  std::set<std::int64_t> t(truth.begin(), truth.begin() + k);
  std::size_t hit = 0;
  for (std::size_t i = 0; i < k && i < got.size(); ++i) hit += t.count(got[i]);
  return static_cast<double>(hit) / k;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()))];
}

struct Keys {
  search::SearchConfig scan;
  rlwe::ContextPtr ctx;
  rlwe::SecretKey sk;
  rlwe::GaloisKeys galois;
  io::KeyId key_id;
  explicit Keys(const ann::TableLayout& layout)
      : scan(ann::table_scan_config(layout)), ctx(search::make_context(scan)) {
    rlwe::KeyGenerator kg(ctx);
    sk = kg.secret_key();
    galois = search::make_expansion_keys(scan, ctx, sk);
    key_id = search::key_id_of(*ctx, kg.public_key(sk));
  }
};

// Veil's exhaustive encrypted search of every base vector (full expansion,
// n rows per block): exact inner products, ranked by ||x||^2 - 2 <q, x>.
nlohmann::json exact_baseline(const BenchData& d, std::size_t k, std::size_t queries) {
  const std::size_t dim = d.base.cols;
  const auto layout = ann::make_table_layout(4096, dim, dim);
  Keys keys(layout);
  std::vector<float> norms(d.base.rows);
  double bound = 0;
  for (std::size_t i = 0; i < d.base.rows; ++i) {
    double s = 0;
    for (std::size_t j = 0; j < dim; ++j) s += double(d.base.row(i)[j]) * d.base.row(i)[j];
    norms[i] = static_cast<float>(s);
    bound = std::max(bound, std::sqrt(s));
  }
  const double qbound = 1.25 * bound;
  const std::uint32_t s = keys.scan.quant_scale;
  auto t0 = Clock::now();
  const auto rows = ann::quantize_bounded(d.base.values, dim, bound, s);
  const auto blocks = ann::TableEncryptor(keys.scan, layout, keys.ctx, keys.sk)
                          .encrypt(rows, search::default_threads());
  const double enc_s = s_since(t0);
  std::vector<const std::uint32_t*> ptrs;
  for (const auto& b : blocks) ptrs.push_back(b.data());
  ann::TableServer server(keys.scan, layout, keys.ctx, keys.galois, keys.key_id);
  ann::TableDecryptor dec(keys.scan, layout, keys.ctx, keys.sk, keys.galois, keys.key_id);
  search::ProbeEncryptor pe(keys.scan, keys.ctx, keys.sk, keys.key_id);
  const double unit = qbound * bound / (double(s) * s);
  std::vector<double> lat;
  double rec = 0;
  for (std::size_t i = 0; i < queries; ++i) {
    const auto q = ann::quantize_bounded({d.queries.row(i), dim}, dim, qbound, s);
    t0 = Clock::now();
    const auto probe = pe.encrypt_grouped(ann::pad_probe(layout, q.row(0)));
    auto fut = std::async(std::launch::async, [&] { return dec.prepare(probe); });
    const auto scores = server.evaluate(probe, ptrs);
    const auto key = fut.get();
    const auto ip = dec.decrypt(scores, key, d.base.rows);
    std::vector<std::pair<float, std::int64_t>> best;
    for (std::size_t r = 0; r < ip.size(); ++r) {
      best.push_back(
          {static_cast<float>(norms[r] - 2 * unit * ip[r]), static_cast<std::int64_t>(r)});
    }
    std::partial_sort(best.begin(), best.begin() + k, best.end());
    lat.push_back(ms_since(t0));
    std::vector<std::int64_t> got;
    for (std::size_t j = 0; j < k; ++j) got.push_back(best[j].second);
    rec += recall({d.truth.data() + i * k, k}, got, k);
  }
  return {{"encrypt_s", enc_s},
          {"queries", queries},
          {"latency_ms_p50", percentile(lat, 0.5)},
          {"recall", rec / queries},
          {"blocks", blocks.size()}};
}

}  // namespace

void add_ann_bench(CLI::App& ann, ann::Progress (*progress_bar)(bool)) {
  struct Args {
    std::string base, queries, truth, out, plot;
    std::size_t generate = 0, nq = 1000, nlist = 1024, m = 16, groups = 16, k = 10;
    std::size_t sequential = 200, exact = 0;
    std::string nprobe = "4,8,16,32", fetch = "0", refine = "0";
    std::string probe = "expanded,compact";
    std::uint64_t seed = 1;
    bool quiet = false, equal_lists = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = ann.add_subcommand(
      "bench", "Build and search an encrypted index beside faiss's plaintext IVF-PQ");
  cmd->add_option("--base", a->base, "base vectors (.fvecs, .bvecs, .npy)")
      ->check(cli::input_file());
  cmd->add_option("--queries", a->queries, "query vectors")->check(cli::input_file());
  cmd->add_option("--truth", a->truth, "ground truth (.ivecs); default: exact brute force")
      ->check(cli::input_file());
  cmd->add_option("--generate", a->generate,
                  "instead of --base: N generated SIFT-like vectors (data/clustered_gen.h)")
      ->transform(cli::count(1, 100000000));
  cmd->add_option("--nq", a->nq, "queries used (generated or the first of --queries)")
      ->transform(cli::count(1, 1000000));
  cmd->add_option("--seed", a->seed, "generator seed")->transform(cli::seed<std::uint64_t>());
  cmd->add_option("--nlist", a->nlist, "inverted lists")->transform(cli::count(1, 1 << 20));
  cmd->add_option("--m", a->m, "PQ sub-quantisers")->transform(cli::count(1, 512));
  cmd->add_option("--groups", a->groups, "expanded probe ciphertexts")
      ->transform(cli::count(1, 4096));
  cmd->add_option("--nprobe", a->nprobe, "lists per query, comma-separated")
      ->check(cli::count_list(1, 1 << 20));
  cmd->add_option("--probe", a->probe,
                  "probe forms, comma-separated: expanded (G ciphertexts, no key switching), "
                  "compact (one ciphertext, expanded by the server and the key service)");
  cmd->add_option("--fetch", a->fetch,
                  "lists fetched per query, comma-separated (0: nprobe; else nprobe nearest plus "
                  "random others, hiding which were needed)")
      ->check(cli::count_list(0, 1 << 20));
  cmd->add_flag("--equal-lists", a->equal_lists, "pad every list to the largest one's size");
  cmd->add_option("--refine", a->refine,
                  "PQ candidates re-ranked exactly by the key service, comma-separated (0: none; "
                  "any other value builds the index with refinement vectors)")
      ->check(cli::count_list(0, 1000000));
  cmd->add_option("-k", a->k, "neighbours (recall@k)")->transform(cli::count(1, 100));
  cmd->add_option("--sequential", a->sequential, "queries timed one at a time")
      ->transform(cli::count(1, 1000000));
  cmd->add_option("--exact", a->exact,
                  "also run Veil's exhaustive encrypted search for this many queries")
      ->transform(cli::count(0, 100000));
  cmd->add_option("--out", a->out, "JSON results")->check(cli::output_file());
  cmd->add_option("--plot", a->plot,
                  "recall against queries/s as a PNG (with its .dat and .gp beside it)")
      ->check(cli::output_file());
  cmd->add_flag("--quiet", a->quiet, "no progress on stderr");
  cmd->callback([a, progress_bar] {
    if (a->base.empty() == (a->generate == 0)) {
      throw std::runtime_error("give either --base (with --queries) or --generate N");
    }
    BenchData d;
    if (a->generate) {
      data::ClusteredParams p;
      p.seed = a->seed;
      data::ClusteredGenerator gen(p);
      d.base = gen.base(0, a->generate);
      d.queries = gen.queries(0, a->nq);
      d.label = "generated SIFT-like, " + std::to_string(a->generate) + " x 128, seed " +
                std::to_string(a->seed);
    } else {
      if (a->queries.empty()) throw std::runtime_error("--base needs --queries");
      d.base = data::read_embeddings(a->base).matrix;
      d.queries = data::read_embeddings(a->queries).matrix;
      if (d.queries.cols != d.base.cols)
        throw std::runtime_error("queries and base differ in dimension");
      d.queries.rows = std::min(d.queries.rows, a->nq);
      d.queries.values.resize(d.queries.rows * d.queries.cols);
      d.label = a->base;
    }
    const std::size_t k = a->k, nq = d.queries.rows, dim = d.base.cols;
    auto t0 = Clock::now();
    if (!a->truth.empty()) {
      const auto gt = data::read_ivecs(a->truth, nq);
      if (gt.rows < nq || gt.cols < k) throw std::runtime_error(a->truth + " is too small");
      for (std::size_t i = 0; i < nq; ++i) {
        for (std::size_t j = 0; j < k; ++j) d.truth.push_back(gt.row(i)[j]);
      }
    } else {
      d.truth = brute_force(d.base, d.queries, k);
      d.truth_s = s_since(t0);
    }

    const auto layout = ann::make_table_layout(4096, dim, a->groups);
    Keys keys(layout);
    ann::BuildOptions o;
    o.ivf.nlist = a->nlist;
    o.ivf.m = a->m;
    o.groups = a->groups;
    o.equal_lists = a->equal_lists;
    const auto refines = args::parse_count_list(a->refine, "--refine", 0, 1000000);
    o.refine = std::any_of(refines.begin(), refines.end(), [](auto r) { return r > 0; });
    t0 = Clock::now();
    auto built = ann::build_index(d.base.values, dim, o, {keys.ctx, &keys.sk, keys.key_id},
                                  progress_bar(a->quiet));
    const double build_s = s_since(t0);
    const auto params = built.files.params;
    const auto& rep = built.report;
    const double at_rest = double(rep.table_bytes + rep.list_bytes) / d.base.rows;
    std::printf("data: %s; %zu queries, recall@%zu against %s\n", d.label.c_str(), nq, k,
                a->truth.empty() ? "exact brute force (faiss IndexFlatL2)" : a->truth.c_str());
    std::printf(
        "build: %.1f s (train+add %.1f, tables %.1f, seal %.1f); %zu table blocks; "
        "%.1f bytes per vector at rest; table scale %u; largest list %zu%s\n",
        build_s, rep.train_add_s, rep.tables_s, rep.seal_s, rep.table_blocks, at_rest,
        params.scan.quant_scale, rep.largest_list,
        a->equal_lists ? " (every list padded to it)" : "");
    ann::AnnServer server(built.files, keys.ctx, keys.galois);
    ann::AnnServer server1(built.files, keys.ctx, keys.galois, 1);
    ann::AnnKeyService ks(params, keys.ctx, keys.sk, keys.galois, server.key_service_slot());
    std::vector<std::pair<std::string, ann::ProbeForm>> forms;
    for (std::size_t at = 0; at <= a->probe.size();) {
      const std::size_t comma = std::min(a->probe.find(',', at), a->probe.size());
      const std::string f = a->probe.substr(at, comma - at);
      if (f == "expanded") {
        forms.emplace_back(f, ann::ProbeForm::kExpanded);
      } else if (f == "compact") {
        forms.emplace_back(f, ann::ProbeForm::kCompact);
      } else {
        throw std::runtime_error("--probe: '" + f + "' is neither expanded nor compact");
      }
      at = comma + 1;
    }

    nlohmann::json out;
    out["data"] = d.label;
    out["n"] = d.base.rows;
    out["queries"] = nq;
    out["k"] = k;
    out["nlist"] = a->nlist;
    out["m"] = a->m;
    out["groups"] = a->groups;
    out["build_s"] = build_s;
    out["bytes_per_vector"] = at_rest;
    out["truth_s"] = d.truth_s;
    out["equal_lists"] = a->equal_lists;
    out["largest_list"] = rep.largest_list;
    std::printf("%9s %7s %6s %6s %8s %8s %9s %9s %9s %9s %9s %7s %9s %9s %8s %9s %10s\n", "probe",
                "nprobe", "fetch", "refine", "R faiss", "R veil", "faiss q/s", "p50 ms", "p99 ms",
                "seq q/s", "conc q/s", "encrypt", "tables", "plan", "rank", "upload B", "lists B");
    const auto fetches = args::parse_count_list(a->fetch, "--fetch", 0, params.nlist);
    for (const auto& [form_name, form] : forms)
      for (std::size_t nprobe : args::parse_count_list(a->nprobe, "--nprobe", 1, params.nlist))
        for (std::size_t fetch : fetches)
          for (std::size_t refine : refines) {
            if (fetch != 0 && fetch < nprobe) continue;  // not a valid pair: skipped
            // fetch = nprobe is the plain search, already run for fetch 0.
            if (fetch == nprobe && std::count(fetches.begin(), fetches.end(), 0)) continue;
            if (refine != 0 && refine < k) continue;
            const ann::AnnQuerier querier(params, keys.ctx, keys.sk, form);
            const std::size_t upload =
                search::save_probe(params.scan, *keys.ctx, querier.encrypt({d.queries.row(0), dim}))
                    .size();
            t0 = Clock::now();
            const auto plain = built.plain.search(d.queries.values, k, nprobe);
            const double faiss_qps = nq / s_since(t0);
            double r_faiss = 0;
            for (std::size_t i = 0; i < nq; ++i) {
              r_faiss += recall({d.truth.data() + i * k, k}, {plain.data() + i * k, k}, k);
            }
            // One query at a time, each using both cores (the key service expands
            // while the server scans).
            const std::size_t seq = std::min(nq, a->sequential);
            std::vector<double> lat, enc_ms, tables_ms, plan_ms, rank_ms;
            std::atomic<std::size_t> list_bytes{0};
            double r_veil = 0;
            auto one = [&](const ann::AnnServer& srv, std::size_t i, bool overlap,
                           std::vector<std::int64_t>& ids) {
              const auto q0 = Clock::now();
              // Sequential queries encrypt on both cores; concurrent ones on one each.
              auto probe = querier.encrypt({d.queries.row(i), dim}, overlap ? 2 : 1);
              std::vector<std::uint8_t> sealed_query;
              if (refine) sealed_query = querier.seal_query({d.queries.row(i), dim});
              const double t_enc = ms_since(q0);
              search::EncryptedScores tables;
              search::ProbeKey key;
              if (overlap) {
                auto fut = std::async(std::launch::async, [&] { return ks.prepare(probe); });
                tables = srv.tables(probe);
                key = fut.get();
              } else {
                tables = srv.tables(probe);
                key = ks.prepare(probe);
              }
              const double t_tables = ms_since(q0) - t_enc;
              const auto q1 = Clock::now();
              auto plan = ks.plan(tables, key, nprobe, fetch);
              const double t_plan = ms_since(q1);
              const auto q2 = Clock::now();
              const auto sealed = srv.lists(plan.lists);
              for (const auto& l : sealed) list_bytes += l.size();
              auto hits = ks.rank(plan, sealed, k, {refine, sealed_query});
              const double t_rank = ms_since(q2);
              ids.clear();
              for (const auto& h : hits) ids.push_back(static_cast<std::int64_t>(h.id));
              return std::array<double, 5>{ms_since(q0), t_tables, t_plan, t_rank, t_enc};
            };
            std::vector<std::int64_t> ids;
            for (std::size_t i = 0; i < seq; ++i) {
              const auto t = one(server, i, true, ids);
              lat.push_back(t[0]);
              tables_ms.push_back(t[1]);
              plan_ms.push_back(t[2]);
              rank_ms.push_back(t[3]);
              enc_ms.push_back(t[4]);
              r_veil += recall({d.truth.data() + i * k, k}, ids, k);
            }
            double lat_sum = 0;
            for (double v : lat) lat_sum += v;
            // Throughput: one query per core at a time, every query of the set.
            std::atomic<std::size_t> next{0};
            const std::size_t workers = std::max(1u, std::thread::hardware_concurrency());
            t0 = Clock::now();
            std::vector<std::thread> pool;
            for (std::size_t w = 0; w < workers; ++w) {
              pool.emplace_back([&] {
                std::vector<std::int64_t> local;
                for (std::size_t i; (i = next++) < nq;) one(server1, i, false, local);
              });
            }
            for (auto& t : pool) t.join();
            const double conc_qps = nq / s_since(t0);
            const double rv = r_veil / seq, rf = r_faiss / nq;
            const double lists_b = double(list_bytes) / double(seq + nq);
            std::printf(
                "%9s %7zu %6zu %6zu %8.3f %8.3f %9.0f %9.2f %9.2f %9.0f %9.0f %7.2f %9.2f %9.2f "
                "%8.2f %9zu %10.0f\n",
                form_name.c_str(), nprobe, fetch ? fetch : nprobe, refine, rf, rv, faiss_qps,
                percentile(lat, 0.5), percentile(lat, 0.99), 1000.0 * seq / lat_sum, conc_qps,
                percentile(enc_ms, 0.5), percentile(tables_ms, 0.5), percentile(plan_ms, 0.5),
                percentile(rank_ms, 0.5), upload, lists_b);
            out["runs"].push_back({{"probe", form_name},
                                   {"nprobe", nprobe},
                                   {"fetch", fetch ? fetch : nprobe},
                                   {"refine", refine},
                                   {"list_bytes_mean", lists_b},
                                   {"upload_bytes", upload},
                                   {"encrypt_ms_p50", percentile(enc_ms, 0.5)},
                                   {"recall_faiss", rf},
                                   {"recall_veil", rv},
                                   {"faiss_qps", faiss_qps},
                                   {"latency_ms_p50", percentile(lat, 0.5)},
                                   {"latency_ms_p99", percentile(lat, 0.99)},
                                   {"sequential_qps", 1000.0 * seq / lat_sum},
                                   {"concurrent_qps", conc_qps},
                                   {"tables_ms_p50", percentile(tables_ms, 0.5)},
                                   {"plan_ms_p50", percentile(plan_ms, 0.5)},
                                   {"rank_ms_p50", percentile(rank_ms, 0.5)}});
          }
    if (a->exact) {
      auto e = exact_baseline(d, k, std::min(a->exact, nq));
      std::printf(
          "exact encrypted search (every vector, full expansion): recall %.3f, p50 %.1f ms "
          "over %zu queries; encrypting the %zu blocks took %.1f s\n",
          e["recall"].get<double>(), e["latency_ms_p50"].get<double>(),
          e["queries"].get<std::size_t>(), e["blocks"].get<std::size_t>(),
          e["encrypt_s"].get<double>());
      out["exact"] = e;
    }
    if (!a->out.empty()) std::ofstream(a->out) << out.dump(1) << "\n";
    if (!a->plot.empty()) std::printf("plot: %s\n", plot_ann_bench(out, a->plot).c_str());
  });
}

}  // namespace veil::apps

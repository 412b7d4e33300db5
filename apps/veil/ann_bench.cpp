#include "ann_bench.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ann_plot.h"
#include "arg_checks.h"
#include "cli_checks.h"
#include "timing.h"
#include "veil/ann/bench.h"
#include "veil/data/clustered_gen.h"
#include "veil/data/embeddings.h"
#include "veil/data/vecs.h"

namespace veil::apps {

namespace {

struct BenchData {
  data::Matrix base, queries;
  std::vector<std::int64_t> truth;  // queries x k
  std::string label;
  double truth_s = 0;
};

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
      d.truth = ann::exact_neighbours(d.base, d.queries, k);
      d.truth_s = s_since(t0);
    }

    const auto layout = ann::make_table_layout(4096, dim, a->groups);
    const ann::BenchKeys keys(layout);
    ann::BuildOptions o;
    o.ivf.nlist = a->nlist;
    o.ivf.m = a->m;
    o.groups = a->groups;
    o.equal_lists = a->equal_lists;
    const auto refines = args::parse_count_list(a->refine, "--refine", 0, 1000000);
    o.refine = std::any_of(refines.begin(), refines.end(), [](auto r) { return r > 0; });
    t0 = Clock::now();
    auto built = ann::build_index(d.base.values, dim, o, keys.owner(), progress_bar(a->quiet));
    const double build_s = s_since(t0);
    const auto& params = built.files.params;
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
    const ann::AnnBench bench(d.queries, d.truth, k, built, keys);

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
            const auto r = bench.run({form, nprobe, fetch, refine, a->sequential});
            const std::size_t fetched = fetch ? fetch : nprobe;
            std::printf(
                "%9s %7zu %6zu %6zu %8.3f %8.3f %9.0f %9.2f %9.2f %9.0f %9.0f %7.2f %9.2f %9.2f "
                "%8.2f %9zu %10.0f\n",
                form_name.c_str(), nprobe, fetched, refine, r.recall_faiss, r.recall_veil,
                r.faiss_qps, r.p50_ms, r.p99_ms, r.sequential_qps, r.concurrent_qps, r.encrypt_ms,
                r.tables_ms, r.plan_ms, r.rank_ms, r.upload_bytes, r.list_bytes);
            out["runs"].push_back({{"probe", form_name},
                                   {"nprobe", nprobe},
                                   {"fetch", fetched},
                                   {"refine", refine},
                                   {"list_bytes_mean", r.list_bytes},
                                   {"upload_bytes", r.upload_bytes},
                                   {"encrypt_ms_p50", r.encrypt_ms},
                                   {"recall_faiss", r.recall_faiss},
                                   {"recall_veil", r.recall_veil},
                                   {"faiss_qps", r.faiss_qps},
                                   {"latency_ms_p50", r.p50_ms},
                                   {"latency_ms_p99", r.p99_ms},
                                   {"sequential_qps", r.sequential_qps},
                                   {"concurrent_qps", r.concurrent_qps},
                                   {"tables_ms_p50", r.tables_ms},
                                   {"plan_ms_p50", r.plan_ms},
                                   {"rank_ms_p50", r.rank_ms}});
          }
    if (a->exact) {
      const auto e = ann::exact_encrypted_search(d.base, d.queries, d.truth, k, a->exact);
      std::printf(
          "exact encrypted search (every vector, full expansion): recall %.3f, p50 %.1f ms "
          "over %zu queries; encrypting the %zu blocks took %.1f s\n",
          e.recall, e.p50_ms, e.queries, e.blocks, e.encrypt_s);
      out["exact"] = {{"encrypt_s", e.encrypt_s},
                      {"queries", e.queries},
                      {"latency_ms_p50", e.p50_ms},
                      {"recall", e.recall},
                      {"blocks", e.blocks}};
    }
    if (!a->out.empty()) std::ofstream(a->out) << out.dump(1) << "\n";
    if (!a->plot.empty()) std::printf("plot: %s\n", plot_ann_bench(out, a->plot).c_str());
  });
}

}  // namespace veil::apps

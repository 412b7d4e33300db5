// `veil ann build | search | bench`: PPPQ-ANN (docs/ann.md). `build` is the
// data owner's step (secret key), `search` plays querier, server and key
// service in one process over an index directory; the service issue's
// deployment carries the same calls over the wire.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "ann_bench.h"
#include "cli_checks.h"
#include "commands.h"
#include "timing.h"
#include "veil/ann/protocol.h"
#include "veil/collection/keys.h"
#include "veil/data/embeddings.h"

namespace veil::apps {

namespace {

// "\r<stage> 42%" on stderr, a newline when a stage ends.
ann::Progress progress_bar(bool quiet) {
  if (quiet) return {};
  return [last = std::string(), pct = -1](const std::string& stage, double done) mutable {
    const int p = static_cast<int>(done * 100);
    if (stage == last && p == pct) return;
    if (stage != last && !last.empty()) std::fprintf(stderr, "\n");
    last = stage;
    pct = p;
    std::fprintf(stderr, "\r%-6s %3d%%", stage.c_str(), p);
    if (p >= 100) std::fprintf(stderr, "\n"), last.clear();
    std::fflush(stderr);
  };
}

void add_build(CLI::App& ann) {
  struct Args {
    std::string index, keys, input;
    std::size_t nlist = 1024, m = 16, groups = ann::BuildOptions{}.groups, train = 0;
    double query_bound = 0;
    bool quiet = false, equal_lists = false, refine = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = ann.add_subcommand("build", "Train IVF-PQ, encrypt its tables, seal its lists");
  cmd->add_option("index", a->index, "new index directory (must not exist)")->required();
  cmd->add_option("--keys", a->keys, "key directory (secret.key: the data owner)")
      ->required()
      ->check(cli::dir(true));
  cmd->add_option("--input", a->input, "vectors (.npy, .fvecs, .bvecs, .csv)")
      ->required()
      ->check(cli::input_file());
  cmd->add_option("--nlist", a->nlist, "inverted lists")->transform(cli::count(1, 1 << 20));
  cmd->add_option("--m", a->m, "PQ sub-quantisers (divides the dimension)")
      ->transform(cli::count(1, 512));
  cmd->add_option("--groups", a->groups,
                  "expanded probe ciphertexts (power of two): key switches per query vs rows "
                  "per table block")
      ->transform(cli::count(1, 4096));
  cmd->add_option("--train-size", a->train, "training sample (0: automatic)")
      ->transform(cli::count(0, 100000000));
  cmd->add_option("--query-bound", a->query_bound,
                  "largest query norm accepted (0: 1.25 x the largest input norm)")
      ->check(cli::real(0, 1e30));
  cmd->add_flag("--equal-lists", a->equal_lists,
                "pad every list to the largest one's size (with search --fetch: the same bytes "
                "and work for every query)");
  cmd->add_flag("--refine", a->refine,
                "seal each vector (int16) with its code so searches can re-rank exactly "
                "(search --refine); 2 bytes per dimension per vector at rest");
  cmd->add_flag("--quiet", a->quiet, "no progress on stderr");
  cmd->callback([a] {
    if (std::filesystem::exists(a->index)) {
      throw std::runtime_error(a->index + " exists: choose a new index directory");
    }
    auto keys = collection::load_keys(a->keys, static_cast<unsigned>(collection::Need::kSecret));
    auto input = data::read_embeddings(a->input);
    ann::BuildOptions o;
    o.ivf.nlist = a->nlist;
    o.ivf.m = a->m;
    o.ivf.train_size = a->train;
    o.groups = a->groups;
    o.query_bound = a->query_bound;
    o.equal_lists = a->equal_lists;
    o.refine = a->refine;
    const auto t0 = Clock::now();
    auto built = ann::build_index(input.matrix.values, input.matrix.cols, o,
                                  {keys.ctx, &*keys.sk, keys.key_id}, progress_bar(a->quiet));
    ann::write_index(a->index, built.files);
    const auto& r = built.report;
    const double n = static_cast<double>(built.files.params.size);
    std::printf(
        "built %s: %zu vectors x %zu, nlist %zu, m %zu, groups %zu in %.1f s (train+add %.1f, "
        "tables %.1f, seal %.1f)\n  tables %zu blocks (%.1f MB), lists %.1f MB: %.1f bytes per "
        "vector at rest\n",
        a->index.c_str(), built.files.params.size, input.matrix.cols, built.files.params.nlist,
        built.files.params.m, built.files.params.groups, s_since(t0), r.train_add_s, r.tables_s,
        r.seal_s, r.table_blocks, r.table_bytes / 1e6, r.list_bytes / 1e6,
        (r.table_bytes + r.list_bytes) / n);
  });
}

void add_search(CLI::App& ann) {
  struct Args {
    std::string index, keys, query;
    std::size_t nprobe = 16, k = 10, fetch = 0, refine = 0;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = ann.add_subcommand(
      "search", "Search an index with encrypted queries (querier, server and key service here)");
  cmd->add_option("index", a->index, "index directory")->required()->check(cli::dir(true));
  cmd->add_option("--keys", a->keys, "key directory")->required()->check(cli::dir(true));
  cmd->add_option("--query", a->query, "query vectors (.npy, .fvecs, .bvecs, .csv)")
      ->required()
      ->check(cli::input_file());
  cmd->add_option("--nprobe", a->nprobe, "lists scanned per query")
      ->transform(cli::count(1, 1 << 20));
  cmd->add_option("-k", a->k, "neighbours per query")->transform(cli::count(1, 10000));
  cmd->add_option("--fetch", a->fetch,
                  "lists fetched per query, nprobe..nlist: the nprobe nearest and random others, "
                  "so the server cannot tell which were needed (0: nprobe)")
      ->transform(cli::count(0, 1 << 20));
  cmd->add_option("--refine", a->refine,
                  "re-rank this many PQ candidates exactly (an index built with --refine; 0: off)")
      ->transform(cli::count(0, 1000000));
  cmd->add_flag("--json", a->json, "JSON output");
  cmd->callback([a] {
    auto keys =
        collection::load_keys(a->keys, collection::Need::kSecret | collection::Need::kExpansion);
    auto files = ann::read_index(a->index);
    if (files.params.key_id != keys.key_id) {
      throw std::runtime_error("the index was built under key " + files.params.key_id.hex() + ", " +
                               a->keys + " holds " + keys.key_id.hex());
    }
    auto queries = data::read_embeddings(a->query);
    if (queries.matrix.cols != files.params.dimension) {
      throw std::runtime_error("queries have dimension " + std::to_string(queries.matrix.cols) +
                               ", the index " + std::to_string(files.params.dimension));
    }
    if (a->nprobe > files.params.nlist) {
      throw std::runtime_error("--nprobe " + std::to_string(a->nprobe) + " exceeds the index's " +
                               std::to_string(files.params.nlist) + " lists");
    }
    if (a->fetch != 0 && (a->fetch < a->nprobe || a->fetch > files.params.nlist)) {
      throw std::runtime_error("--fetch " + std::to_string(a->fetch) + " must be 0 or between " +
                               "--nprobe (" + std::to_string(a->nprobe) + ") and the index's " +
                               std::to_string(files.params.nlist) + " lists");
    }
    if (a->refine != 0 && !files.params.refine) {
      throw std::runtime_error("--refine: " + a->index +
                               " holds no refinement vectors (build it with --refine)");
    }
    if (a->refine != 0 && a->refine < a->k) {
      throw std::runtime_error("--refine " + std::to_string(a->refine) + " is below -k " +
                               std::to_string(a->k));
    }
    const auto params = files.params;
    ann::AnnServer server(std::move(files), keys.ctx, *keys.expansion);
    ann::AnnKeyService ks(params, keys.ctx, *keys.sk, *keys.expansion, server.key_service_slot());
    ann::AnnQuerier querier(params, keys.ctx, *keys.sk);
    nlohmann::json out = nlohmann::json::array();
    for (std::size_t i = 0; i < queries.matrix.rows; ++i) {
      auto probe = querier.encrypt({queries.matrix.row(i), queries.matrix.cols});
      auto tables = server.tables(probe);
      auto plan = ks.plan(tables, ks.prepare(probe), a->nprobe, a->fetch);
      std::vector<std::uint8_t> sealed_query;
      if (a->refine)
        sealed_query = querier.seal_query({queries.matrix.row(i), queries.matrix.cols});
      auto hits = ks.rank(plan, server.lists(plan.lists), a->k, {a->refine, sealed_query});
      if (a->json) {
        nlohmann::json h = nlohmann::json::array();
        for (const auto& x : hits) h.push_back({{"id", x.id}, {"distance", x.distance}});
        out.push_back({{"query", i}, {"hits", h}});
      } else {
        std::printf("query %zu:", i);
        for (const auto& x : hits) std::printf(" %llu", static_cast<unsigned long long>(x.id));
        std::printf("\n");
      }
    }
    if (a->json) std::cout << out.dump(1) << "\n";
  });
}

}  // namespace

void add_ann_commands(CLI::App& app) {
  CLI::App* ann =
      app.add_subcommand("ann", "Privacy-preserving ANN (PPPQ-ANN): build, search, bench");
  ann->require_subcommand(1);
  add_build(*ann);
  add_search(*ann);
  add_ann_bench(*ann, progress_bar);
}

}  // namespace veil::apps

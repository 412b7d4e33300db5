// `veil bench`: per-probe latency of encrypted 1:N search split into probe
// expansion, scan, result reduction and key-holder decryption + top-k, for a
// grid of gallery sizes and dimensions, with the baselines measured in the
// same process: the machine's read bandwidth and faiss IndexFlatIP on the
// same vectors. Galleries are real encryptions of random unit vectors.
#include <faiss/IndexFlat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "arg_checks.h"
#include "bandwidth.h"
#include "bench_two_stage.h"
#include "cli_checks.h"
#include "commands.h"
#include "synthetic.h"
#include "timing.h"
#include "veil/rlwe/keygen.h"
#include "veil/search/enroll.h"
#include "veil/search/key_holder.h"
#include "veil/search/parallel.h"
#include "veil/search/probe.h"
#include "veil/search/rerank_wire.h"
#include "veil/search/server.h"

namespace veil::apps {

namespace {

// SEAL 4.4 BGV N=4096, HERS kernel with NTT-form operands, size-3 products
// accumulated, one relinearisation per block: ~24 M template-dimensions per
// second on one core of this machine class (issue #3 / DESIGN.md yardstick;
// not rerun here).
constexpr double kSealTemplateDimsPerCoreSecond = 24e6;

struct Options {
  std::vector<std::size_t> sizes{10000, 100000, 1000000};
  std::vector<std::size_t> dims{16, 32, 64, 128, 512};
  int repeats = 5;
  std::size_t threads = 0;
  std::string json_path;
  std::size_t bandwidth_mib = 2048;
};

nlohmann::json run(const Options& o) {
  using namespace veil::search;
  const std::size_t threads = o.threads ? o.threads : default_threads();
  nlohmann::json out;
  std::cerr << "measuring read bandwidth (" << o.bandwidth_mib << " MiB buffer)...\n";
  const double bw1 = measure_read_bandwidth(o.bandwidth_mib << 20, 1);
  const double bwall = measure_read_bandwidth(o.bandwidth_mib << 20, threads);
  out["machine"] = {{"threads", threads},
                    {"read_bandwidth_gbps_1_thread", bw1},
                    {"read_bandwidth_gbps_all_threads", bwall}};
  std::cerr << "read bandwidth: " << bw1 << " GB/s (1 thread), " << bwall << " GB/s (" << threads
            << " threads)\n";

  const std::size_t max_d = *std::max_element(o.dims.begin(), o.dims.end());
  const std::size_t max_n = *std::max_element(o.sizes.begin(), o.sizes.end());
  SearchConfig top = SearchConfig::derive({.dimension = max_d});
  auto ctx = make_context(top);
  rlwe::KeyGenerator kg(ctx);
  rlwe::SecretKey sk = kg.secret_key();
  rlwe::GaloisKeys galois = make_expansion_keys(top, ctx, sk);  // every smaller d uses a prefix

  for (std::size_t d : o.dims) {
    SearchConfig config = SearchConfig::derive({.dimension = d});
    const std::size_t n_slots = config.n;
    const std::size_t blocks_max = (max_n + n_slots - 1) / n_slots;
    std::cerr << "d=" << d << ": generating and encrypting " << max_n << " templates ("
              << blocks_max << " blocks, " << blocks_max * config.block_bytes() / 1e9
              << " GB)...\n";
    std::vector<float> floats = synthetic_unit_rows(max_n, d, d);
    QuantizedRows rows = quantize_rows(floats, d, config.quant_scale);
    GalleryEncryptor enc(config, ctx, sk);
    std::vector<Words> blocks;
    blocks.reserve(blocks_max);
    auto t0 = Clock::now();
    for (std::size_t b = 0; b < blocks_max; ++b) {
      const std::size_t first = b * n_slots;
      blocks.push_back(enc.encrypt_block(rows, first, std::min(n_slots, max_n - first), threads));
    }
    const double enroll_s = ms_since(t0) / 1e3;
    nlohmann::json dj;
    dj["d"] = d;
    dj["quant_scale"] = config.quant_scale;
    dj["enroll_templates_per_s"] = max_n / enroll_s;
    dj["bytes_per_template_at_rest"] = config.block_bytes() / config.n;
    std::cerr << "  enrolled at " << max_n / enroll_s << " templates/s\n";

    const io::KeyId key_id = key_id_of(*ctx, rlwe::KeyGenerator(ctx).public_key(sk));
    SearchServer server(config, ctx, galois, key_id, threads);
    ScoreDecryptor dec(config, ctx, sk, key_id);
    ProbeExpander key_expander(config, ctx, galois);
    ProbeEncryptor penc(config, ctx, sk, key_id);
    std::vector<float> probe_f = synthetic_unit_rows(1, d, 1000 + d);
    QuantizedRows probe_q = quantize_rows(probe_f, d, config.quant_scale);

    for (std::size_t n : o.sizes) {
      const std::size_t nb = (n + n_slots - 1) / n_slots;
      std::vector<const std::uint32_t*> ptrs;
      for (std::size_t b = 0; b < nb; ++b) ptrs.push_back(blocks[b].data());
      std::vector<double> t_client, t_expand, t_scan, t_reduce, t_prepare, t_key;
      std::size_t probe_bytes = 0, response_bytes = 0;
      std::vector<Match> top10;
      for (int r = 0; r < o.repeats; ++r) {
        auto c0 = Clock::now();
        EncryptedProbe probe = penc.encrypt(probe_q.row(0));
        auto wire = save_probe(config, *ctx, probe);
        t_client.push_back(ms_since(c0));
        probe_bytes = wire.size();
        EncryptedProbe received = load_probe(config, *ctx, wire);
        ScanTimings tm;
        EncryptedScores scores = server.search(received, ptrs, &tm);
        t_expand.push_back(tm.expand_s * 1e3);
        t_scan.push_back(tm.scan_s * 1e3);
        t_reduce.push_back(tm.reduce_s * 1e3);
        response_bytes = save_scores(config, scores).size();
        // The key holder's own expansion and probe key: in a deployment it
        // runs while the server scans, so it is reported apart.
        auto p0 = Clock::now();
        ProbeKey key = dec.prepare(key_expander.expand(probe, threads), threads);
        t_prepare.push_back(ms_since(p0));
        auto k0 = Clock::now();
        std::vector<std::int64_t> dec_scores = dec.decrypt(scores, key, threads);
        top10 = top_k(std::span<const std::int64_t>(dec_scores.data(), n), 10);
        t_key.push_back(ms_since(k0));
      }
      // Plaintext check on the same quantised vectors.
      std::vector<std::int64_t> plain(n);
      for (std::size_t i = 0; i < n; ++i) plain[i] = quantized_dot(rows.row(i), probe_q.row(0));
      auto expect = top_k(plain, 10);
      bool agree = expect.size() == top10.size();
      for (std::size_t i = 0; agree && i < expect.size(); ++i) {
        agree = expect[i].score == top10[i].score && plain[top10[i].index] == top10[i].score;
      }
      // faiss brute force on the float vectors.
      faiss::IndexFlatIP index(static_cast<int>(d));
      index.add(static_cast<faiss::Index::idx_t>(n), floats.data());
      std::vector<double> t_faiss;
      for (int r = 0; r < o.repeats; ++r) {
        float dist[10];
        faiss::Index::idx_t labels[10];
        auto f0 = Clock::now();
        index.search(1, probe_f.data(), 10, dist, labels);
        t_faiss.push_back(ms_since(f0));
      }
      const double expand = median(t_expand), scan = median(t_scan), reduce = median(t_reduce);
      const double server_ms = expand + scan + reduce;
      const double slots = static_cast<double>(nb * n_slots);
      const double scan_gbps = nb * config.block_bytes() / (scan / 1e3) / 1e9;
      const double core_ns_per_td = server_ms * 1e6 * threads / (slots * d);
      nlohmann::json row = {
          {"n", n},
          {"d", d},
          {"blocks", nb},
          {"slots_scanned", nb * n_slots},
          {"client_encrypt_ms", median(t_client)},
          {"expand_ms", expand},
          {"scan_ms", scan},
          {"reduce_ms", reduce},
          {"server_ms", server_ms},
          {"keyholder_prepare_ms", median(t_prepare)},
          {"keyholder_decrypt_topk_ms", median(t_key)},
          {"scan_gbps", scan_gbps},
          {"scan_fraction_of_read_bandwidth", scan_gbps / bwall},
          {"server_core_ns_per_template_dim", core_ns_per_td},
          {"speedup_vs_seal_bgv_per_core", (1e9 / kSealTemplateDimsPerCoreSecond) / core_ns_per_td},
          {"probe_bytes", probe_bytes},
          {"response_bytes", response_bytes},
          {"faiss_flatip_ms", median(t_faiss)},
          {"server_over_faiss", server_ms / median(t_faiss)},
          {"topk_matches_plaintext", agree},
      };
      dj["runs"].push_back(row);
      std::printf(
          "n=%8zu d=%4zu | expand %7.2f scan %8.2f reduce %6.2f = server %8.2f ms | key holder "
          "prepare %6.2f decrypt %6.2f ms | "
          "%5.1f GB/s (%3.0f%% of %.1f) | %.3f core-ns/td (%.0fx SEAL) | faiss %.2f ms (x%.1f) | "
          "probe %zu B "
          "resp %zu B | top-k %s\n",
          n, d, expand, scan, reduce, server_ms, median(t_prepare), median(t_key), scan_gbps,
          100 * scan_gbps / bwall, bwall, core_ns_per_td,
          (1e9 / kSealTemplateDimsPerCoreSecond) / core_ns_per_td, median(t_faiss),
          server_ms / median(t_faiss), probe_bytes, response_bytes, agree ? "ok" : "MISMATCH");
      std::fflush(stdout);
      if (!agree) throw std::runtime_error("bench: encrypted top-k differs from plaintext top-k");
    }
    out["dimensions"].push_back(dj);
  }
  return out;
}

// The bounds of the list options (checked by their validators and again
// here, where the lists are read).
constexpr std::uint64_t kMaxSize = 100'000'000;

std::vector<std::size_t> parse_list(const std::string& s, std::string_view option,
                                    std::uint64_t min, std::uint64_t max) {
  std::vector<std::size_t> v;
  for (std::uint64_t x : args::parse_count_list(s, option, min, max))
    v.push_back(static_cast<std::size_t>(x));
  return v;
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  auto sizes = std::make_shared<std::string>("1e4,1e5,1e6");
  auto dims = std::make_shared<std::string>("16,32,64,128,512");
  CLI::App* cmd =
      app.add_subcommand("bench", "Benchmark encrypted search end to end (JSON with --json)");
  cmd->add_option("--n", *sizes, "gallery sizes, comma-separated (1e4,1e5,1e6)")
      ->check(cli::count_list(1, kMaxSize));
  cmd->add_option("--d", *dims, "dimensions, comma-separated")
      ->check(cli::count_list(1, search::kMaxDimension));
  cmd->add_option("--repeats", opts->repeats, "probes per configuration (median reported)")
      ->transform(cli::count(1, 1000));
  cmd->add_option("--threads", opts->threads, "threads (default 0: all cores)")
      ->transform(cli::threads());
  cmd->add_option("--json", opts->json_path, "write the results as JSON to this file")
      ->check(cli::output_file());
  cmd->add_option("--bandwidth-mib", opts->bandwidth_mib, "buffer for the bandwidth measurement")
      ->transform(cli::count(64, 65536));
  // Two-stage mode (issue 4): single-stage full-dimension search against
  // PCA-reduced coarse search + exact re-score of the top K.
  auto two = std::make_shared<TwoStageBenchOptions>();
  auto two_stage = std::make_shared<bool>(false);
  auto coarse = std::make_shared<std::string>("16,32");
  auto ks = std::make_shared<std::string>("100,1000,10000");
  cmd->add_flag("--two-stage", *two_stage,
                "two-stage search against single-stage full-dimension search on generated "
                "identities (uses the first --n, --probes, --full-d, --coarse-d, --K)");
  cmd->add_option("--probes", two->probes, "two-stage: probes (median time, rank-1 over them)")
      ->transform(cli::count(1, 100000));
  cmd->add_option("--full-d", two->full_dimension, "two-stage: full dimension (512)")
      ->transform(cli::count(2, search::kMaxDimension));
  cmd->add_option("--coarse-d", *coarse, "two-stage: PCA dimensions of the coarse pass (16,32)")
      ->check(cli::count_list(1, search::kMaxDimension));
  cmd->add_option("--K", *ks, "two-stage: candidates re-scored (100,1000,10000)")
      ->check(cli::count_list(10, search::kMaxCandidates));
  cmd->add_option("--datasets", two->datasets,
                  "two-stage: data sets folder (FaceNet calibrates the generator)")
      ->check(cli::dir(false));
  cmd->callback([opts, sizes, dims, two, two_stage, coarse, ks] {
    if (*two_stage) {
      two->templates = parse_list(*sizes, "--n", 1, kMaxSize).front();
      two->coarse_dimensions = parse_list(*coarse, "--coarse-d", 1, search::kMaxDimension);
      two->candidates = parse_list(*ks, "--K", 10, search::kMaxCandidates);
      two->threads = opts->threads;
      if (two->probes > two->templates) throw CLI::ValidationError("--probes", "more than --n");
      for (auto d : two->coarse_dimensions)
        if (d == 0 || d > two->full_dimension)
          throw CLI::ValidationError("--coarse-d", "must be 1..full dimension");
      for (auto k : two->candidates)
        if (k < 10 || k > two->templates)
          throw CLI::ValidationError("--K", "must be 10..number of templates");
      nlohmann::json j = run_two_stage_bench(*two);
      print_two_stage_table(j);
      if (!opts->json_path.empty()) {
        std::ofstream f(opts->json_path);
        f << j.dump(2) << "\n";
        if (!f) throw std::runtime_error("cannot write " + opts->json_path);
        std::cerr << "wrote " << opts->json_path << "\n";
      }
      return;
    }
    opts->sizes = parse_list(*sizes, "--n", 1, kMaxSize);
    opts->dims = parse_list(*dims, "--d", 1, search::kMaxDimension);
    nlohmann::json j = run(*opts);
    if (!opts->json_path.empty()) {
      std::ofstream f(opts->json_path);
      f << j.dump(2) << "\n";
      if (!f) throw std::runtime_error("cannot write " + opts->json_path);
      std::cerr << "wrote " << opts->json_path << "\n";
    }
  });
}

}  // namespace veil::apps

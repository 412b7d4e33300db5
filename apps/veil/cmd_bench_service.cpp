// `veil bench-service`: load on a deployed veil serve + veil keyservice and
// the in-process baseline it is compared with.
//
//   --local-store DIR   in process (no network): per-probe latency of the
//                       whole protocol (GallerySearcher), and the scan of
//                       Q = 1, 2, 4, 8, 16 probes in one gallery pass
//                       (SearchServer::search_batch): ms per pass, QPS.
//   COLLECTION --server remote: N concurrent callers (each its own probes,
//                       one search after another) for --seconds each N:
//                       p50/p99 latency, QPS and the server's batch sizes.
// scripts/bench-service.sh runs both on one store and prints the ratios.
#include <algorithm>
#include <atomic>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "client_options.h"
#include "commands.h"
#include "timing.h"
#include "veil/collection/gallery.h"
#include "veil/data/embeddings.h"
#include "veil/search/probe.h"
#include "veil/search/server.h"

namespace veil::apps {

namespace {

struct Args {
  ClientOptions c;
  std::string collection, probes, local_store;
  std::vector<std::size_t> callers{1, 2, 4, 8, 16};
  std::vector<std::size_t> batches{1, 2, 4, 8, 16};
  double seconds = 10;
  std::size_t k = 10, threads = 0;
};

using io::percentile;

nlohmann::json bench_local(const Args& a, const data::Embeddings& probes) {
  const collection::KeyDir keys =
      collection::load_keys(a.c.keys, collection::Need::kSecret | collection::Need::kPublic |
                                          collection::Need::kExpansion);
  const collection::OpenGallery g = collection::open_gallery(a.local_store, store::Mode::kReadOnly);
  const search::SearchConfig& c = g.config;
  nlohmann::json out;
  out["templates"] = g.store.live_count();
  out["dimension"] = c.dimension;
  // The whole protocol in one process, one probe at a time.
  {
    collection::GallerySearcher s(g, keys, a.threads);
    for (std::size_t w = 0; w < 2; ++w)
      s.search(probes.matrix.row(w % probes.matrix.rows), a.k, {});
    std::vector<double> ms, server_ms, key_ms;
    const auto t0 = Clock::now();
    for (std::size_t i = 0; s_since(t0) < a.seconds || ms.size() < 5; ++i) {
      const auto t = Clock::now();
      const collection::SearchResult r =
          s.search(probes.matrix.row(i % probes.matrix.rows), a.k, {});
      ms.push_back(ms_since(t));
      server_ms.push_back(r.expand_ms + r.scan_ms + r.reduce_ms);
      key_ms.push_back(r.prepare_ms + r.key_holder_ms);
    }
    out["server_ms_p50"] = percentile(server_ms, 0.5);
    out["key_holder_ms_p50"] = percentile(key_ms, 0.5);
    out["search_ms_p50"] = percentile(ms, 0.5);
    out["search_ms_p99"] = percentile(ms, 0.99);
    out["searches"] = ms.size();
    std::cerr << "in process: " << ms.size() << " searches, p50 " << percentile(ms, 0.5) << " ms\n";
  }
  // The server's part alone, Q probes per gallery pass.
  search::SearchServer server(c, keys.ctx, *keys.expansion, g.store.config().key_id, a.threads);
  std::vector<const std::uint32_t*> blocks;
  for (std::size_t b = 0; b < g.store.block_count(); ++b)
    blocks.push_back(reinterpret_cast<const std::uint32_t*>(g.store.block(b).data()));
  const collection::Client client(keys);
  out["batches"] = nlohmann::json::array();
  for (std::size_t q : a.batches) {
    std::vector<search::EncryptedProbe> batch;
    for (std::size_t p = 0; p < q; ++p) {
      const auto wire =
          client.encrypt_probe(c, {probes.matrix.row(p % probes.matrix.rows), c.dimension});
      batch.push_back(search::load_probe(c, *keys.ctx, wire));
    }
    server.search_batch(batch, blocks);  // warm
    std::vector<double> pass_ms, scan_ms;
    const auto t0 = Clock::now();
    while (s_since(t0) < a.seconds / 2 || pass_ms.size() < 3) {
      search::ScanTimings tm;
      const auto t = Clock::now();
      server.search_batch(batch, blocks, &tm);
      pass_ms.push_back(ms_since(t));
      scan_ms.push_back(tm.scan_s * 1e3);
    }
    const double m = median(pass_ms);
    out["batches"].push_back({{"q", q},
                              {"pass_ms", m},
                              {"scan_ms", median(scan_ms)},
                              {"qps", 1e3 * q / m},
                              {"passes", pass_ms.size()}});
    std::cerr << "in process: Q=" << q << " pass " << m << " ms (scan " << median(scan_ms) << "), "
              << 1e3 * q / m << " probes/s\n";
  }
  return out;
}

nlohmann::json bench_remote(const Args& a, const data::Embeddings& probes) {
  const collection::KeyDir keys = client_keys(a.c.keys);
  const collection::Client client(keys);
  service::RemoteGallery g = connect(a.c);
  const service::RemoteInfo info = g.info(a.collection);
  const std::size_t d = info.config.dimension;
  if (probes.matrix.cols != d) {
    throw std::runtime_error("probes have " + std::to_string(probes.matrix.cols) +
                             " dimensions, the collection " + std::to_string(d));
  }
  collection::RankQuery query;
  query.k = a.k;
  g.search(a.collection, client, {probes.matrix.row(0), d}, query);  // warm
  nlohmann::json runs = nlohmann::json::array();
  for (std::size_t n : a.callers) {
    std::mutex m;
    std::vector<double> ms, batch, server_ms, key_ms, key_expand_ms, ms_less_expand;
    std::atomic<std::size_t> errors{0};
    const auto t0 = Clock::now();
    std::vector<std::thread> callers;
    for (std::size_t t = 0; t < n; ++t) {
      callers.emplace_back([&, t] {
        std::vector<double> mine, mine_batch, mine_server, mine_key, mine_expand, mine_less;
        for (std::size_t i = t; s_since(t0) < a.seconds; i += n) {
          const auto s = Clock::now();
          try {
            service::RemoteAnswer r = g.search(
                a.collection, client, {probes.matrix.row(i % probes.matrix.rows), d}, query);
            mine.push_back(ms_since(s));
            mine_batch.push_back(r.batch);
            mine_server.push_back(r.server_ms);
            mine_key.push_back(r.key_service_ms);
            mine_expand.push_back(r.key_service_expand_ms);
            mine_less.push_back(mine.back() - r.key_service_expand_ms);
          } catch (const std::exception&) {
            ++errors;
          }
        }
        std::lock_guard<std::mutex> lock(m);
        ms.insert(ms.end(), mine.begin(), mine.end());
        batch.insert(batch.end(), mine_batch.begin(), mine_batch.end());
        server_ms.insert(server_ms.end(), mine_server.begin(), mine_server.end());
        key_ms.insert(key_ms.end(), mine_key.begin(), mine_key.end());
        key_expand_ms.insert(key_expand_ms.end(), mine_expand.begin(), mine_expand.end());
        ms_less_expand.insert(ms_less_expand.end(), mine_less.begin(), mine_less.end());
      });
    }
    for (auto& t : callers) t.join();
    const double wall = s_since(t0);
    double mean_batch = 0;
    for (double b : batch) mean_batch += b;
    if (!batch.empty()) mean_batch /= batch.size();
    runs.push_back({{"callers", n},
                    {"searches", ms.size()},
                    {"errors", errors.load()},
                    {"p50_ms", percentile(ms, 0.5)},
                    {"p99_ms", percentile(ms, 0.99)},
                    {"qps", ms.size() / wall},
                    {"server_ms_p50", percentile(server_ms, 0.5)},
                    {"key_service_ms_p50", percentile(key_ms, 0.5)},
                    // The key service expands the probe again rather than
                    // trust the server's expansion (docs/service.md): the
                    // search time without that step.
                    {"key_service_expand_ms_p50", percentile(key_expand_ms, 0.5)},
                    {"p50_ms_less_key_service_expand", percentile(ms_less_expand, 0.5)},
                    {"mean_batch", mean_batch}});
    std::cerr << "remote: " << n << " callers, " << ms.size() << " searches, p50 "
              << percentile(ms, 0.5) << " ms (key service's own expansion "
              << percentile(key_expand_ms, 0.5) << "), p99 " << percentile(ms, 0.99) << " ms, "
              << ms.size() / wall << " QPS, mean batch " << mean_batch << "\n";
    if (errors) throw std::runtime_error(std::to_string(errors.load()) + " searches failed");
  }
  return {{"collection", a.collection}, {"templates", info.live}, {"runs", runs}};
}

}  // namespace

void add_bench_service_command(CLI::App& app) {
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "bench-service", "Load-test veil serve + keyservice, or the in-process baseline (JSON)");
  add_client_options(cmd, a->c, true);
  cmd->add_option("collection", a->collection, "the collection (remote mode)");
  cmd->add_option("--probe", a->probes, "probe embeddings")->required();
  cmd->add_option("--local-store", a->local_store,
                  "in-process baseline on this store instead (the server must not hold it)");
  cmd->add_option("--callers", a->callers, "concurrent callers, one run each")
      ->check(CLI::Range(1, 256))
      ->delimiter(',');
  cmd->add_option("--batch", a->batches, "probes per gallery pass (in process)")
      ->check(CLI::Range(std::size_t{1}, search::SearchServer::kMaxBatch))
      ->delimiter(',');
  cmd->add_option("--seconds", a->seconds, "per run")->check(CLI::Range(0.1, 3600.0));
  cmd->add_option("-k", a->k, "results per search")->check(CLI::Range(1, 1000));
  cmd->add_option("--threads", a->threads, "in process: threads (0: all cores)");
  cmd->callback([a] {
    const data::Embeddings probes = data::read_embeddings(a->probes);
    if (probes.matrix.rows == 0) throw std::runtime_error("no probes in " + a->probes);
    nlohmann::json out;
    if (!a->local_store.empty()) {
      out["in_process"] = bench_local(*a, probes);
    } else {
      if (a->collection.empty()) throw std::runtime_error("name the collection (or --local-store)");
      out["remote"] = bench_remote(*a, probes);
    }
    std::cout << out.dump(2) << "\n";
  });
}

}  // namespace veil::apps

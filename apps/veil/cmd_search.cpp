// veil search: a probe file through the encrypted search, printed as a table,
// JSON, or beside the plaintext answer (--compare-with).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "arg_checks.h"
#include "cli_checks.h"
#include "commands.h"
#include "enroll_input.h"
#include "veil/collection/gallery.h"
#include "veil/data/embeddings.h"
#include "veil/search/parallel.h"
#include "veil/search/quantize.h"
#include "veil/search/rerank_wire.h"

namespace veil::apps {

using namespace collection;

namespace {

// Plaintext answers for the demo: quantised integer scores (what the
// encrypted search must reproduce exactly) and float cosines.
struct Plain {
  std::vector<std::pair<std::string, std::int64_t>> quantised;
  std::vector<std::pair<std::string, double>> cosine;
};

// `scale`: the quantisation the encrypted scores use (the full-dimension
// scale for a two-stage gallery, whose hits are stage-2 scores).
Plain plaintext_top(const data::Matrix& gallery, const std::string& stem, const float* probe,
                    std::uint32_t scale, std::size_t k) {
  Plain out;
  auto qg = search::quantize_rows(gallery.values, gallery.cols, scale);
  auto qp = search::quantize_rows({probe, gallery.cols}, gallery.cols, scale);
  std::vector<std::int64_t> scores(gallery.rows);
  std::vector<std::pair<double, std::size_t>> cos(gallery.rows);
  double pn = 0;
  for (std::size_t j = 0; j < gallery.cols; ++j) pn += static_cast<double>(probe[j]) * probe[j];
  for (std::size_t i = 0; i < gallery.rows; ++i) {
    scores[i] = search::quantized_dot(qg.row(i), qp.row(0));
    double dot = 0, gn = 0;
    for (std::size_t j = 0; j < gallery.cols; ++j) {
      dot += static_cast<double>(gallery.row(i)[j]) * probe[j];
      gn += static_cast<double>(gallery.row(i)[j]) * gallery.row(i)[j];
    }
    cos[i] = {-dot / std::sqrt(gn * pn), i};
  }
  for (const auto& m : search::top_k(scores, k))
    out.quantised.emplace_back(stem + ":" + std::to_string(m.index), m.score);
  std::partial_sort(cos.begin(), cos.begin() + std::min(k, cos.size()), cos.end());
  for (std::size_t i = 0; i < std::min(k, cos.size()); ++i) {
    out.cosine.emplace_back(stem + ":" + std::to_string(cos[i].second), -cos[i].first);
  }
  return out;
}

void print_comparison(const SearchResult& r, const Plain& p, bool two_stage) {
  std::cout << "  rank | encrypted: id, score          | plaintext quantised: id, score | "
               "plaintext float: id, cosine\n";
  bool same = true;
  for (std::size_t i = 0; i < r.hits.size(); ++i) {
    const Hit& h = r.hits[i];
    std::cout << "  " << std::setw(4) << h.rank << " | " << std::left << std::setw(22) << h.id
              << std::right << std::setw(7) << h.score << " | ";
    if (i < p.quantised.size()) {
      std::cout << std::left << std::setw(22) << p.quantised[i].first << std::right << std::setw(8)
                << p.quantised[i].second;
      same = same && p.quantised[i].second == h.score;
    }
    std::cout << " | ";
    if (i < p.cosine.size()) {
      std::cout << std::left << std::setw(22) << p.cosine[i].first << std::right << std::setw(8)
                << std::setprecision(4) << p.cosine[i].second;
    }
    std::cout << (h.label.empty() ? "" : "  (" + h.label + ")") << "\n";
  }
  std::cout << "  encrypted scores " << (same ? "equal" : "DIFFER FROM")
            << " the plaintext quantised scores\n";
  if (!same) {
    throw std::runtime_error(two_stage ? "encrypted and plaintext scores differ (stage 1 missed a "
                                         "neighbour: raise --candidates)"
                                       : "encrypted and plaintext scores differ");
  }
}

void print_hits(const SearchResult& r, std::size_t probe_row, bool table = true) {
  std::cout << "probe " << probe_row << ": server " << std::fixed << std::setprecision(1)
            << r.expand_ms + r.scan_ms + r.reduce_ms << " ms (expand " << r.expand_ms << ", scan "
            << r.scan_ms << ", reduce " << r.reduce_ms << "), key holder prepare " << r.prepare_ms
            << " + decrypt " << r.key_holder_ms << " ms, probe " << r.probe_bytes << " B, response "
            << r.response_bytes << " B\n";
  if (r.candidates) {
    std::cout << "  stage 2: K = " << r.candidates << ", server gather " << r.gather_ms
              << " ms, key holder re-score " << r.rescore_ms << " ms, request " << r.request_bytes
              << " B, rows " << r.rows_bytes << " B\n";
  }
  if (!table) return;
  std::cout << "  rank  score   cosine  id                              label\n";
  for (const Hit& h : r.hits) {
    std::cout << "  " << std::setw(4) << h.rank << "  " << std::setw(6) << h.score << "  "
              << std::setw(7) << std::setprecision(4) << h.cosine << "  " << std::left
              << std::setw(30) << h.id << "  " << h.label << std::right << "\n";
  }
}

nlohmann::json hits_json(const SearchResult& r, std::size_t probe_row) {
  nlohmann::json j;
  j["probe"] = probe_row;
  j["timing_ms"] = {{"expand", r.expand_ms},
                    {"scan", r.scan_ms},
                    {"reduce", r.reduce_ms},
                    {"key_holder_prepare", r.prepare_ms},
                    {"key_holder", r.key_holder_ms}};
  j["probe_bytes"] = r.probe_bytes;
  j["response_bytes"] = r.response_bytes;
  if (r.candidates) {
    j["two_stage"] = {{"candidates", r.candidates},
                      {"gather_ms", r.gather_ms},
                      {"rescore_ms", r.rescore_ms},
                      {"request_bytes", r.request_bytes},
                      {"rows_bytes", r.rows_bytes}};
  }
  j["matches"] = nlohmann::json::array();
  for (const Hit& h : r.hits) {
    j["matches"].push_back({{"rank", h.rank},
                            {"id", h.id},
                            {"label", h.label},
                            {"score", h.score},
                            {"cosine", h.cosine}});
  }
  return j;
}

}  // namespace

void add_search_command(CLI::App& app) {
  // search
  {
    struct Args {
      std::string store, keys, probe;
      std::vector<std::size_t> rows;
      std::size_t k = 10, threads = 0;
      std::optional<double> threshold;
      std::optional<std::size_t> candidates;
      bool json = false;
      std::string compare;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd =
        app.add_subcommand("search", "Search the encrypted gallery with encrypted probes");
    cmd->add_option("store", a->store, "gallery store directory")
        ->required()
        ->check(cli::dir(true));
    cmd->add_option("--keys", a->keys, "key directory (secret.key decrypts the scores)")
        ->required()
        ->check(cli::dir(true));
    cmd->add_option("--probe", a->probe, "probe embeddings file")
        ->required()
        ->check(cli::input_file());
    cmd->add_option("--row", a->rows, "probe rows to search, from 0 (default: all)")
        ->transform(cli::count(0, args::kMaxRow));
    cmd->add_option("-k,--top", a->k, "matches per probe")->transform(cli::count(1, 100000));
    cmd->add_option("--threshold", a->threshold,
                    "return every match with cosine >= this instead of top-k")
        ->check(cli::real(-1.0, 1.0));
    cmd->add_option("--candidates", a->candidates,
                    "two-stage galleries: K, the stage-1 candidates re-scored with the full "
                    "templates (default " +
                        std::to_string(kDefaultCandidates) + "; the server learns which K slots)")
        ->transform(cli::count(1, search::kMaxCandidates));
    cmd->add_option("--threads", a->threads, "threads (default 0: all cores)")
        ->transform(cli::threads());
    cmd->add_flag("--json", a->json, "JSON output");
    cmd->add_option(
           "--compare-with", a->compare,
           "plaintext gallery file enrolled with default ids: print the plaintext answer beside")
        ->check(cli::input_file());
    cmd->callback([a] {
      KeyDir keys = load_keys(a->keys, Need::kSecret | Need::kExpansion);
      OpenGallery g = open_gallery(a->store, store::Mode::kReadOnly);
      data::Embeddings probes = data::read_embeddings(a->probe);
      if (probes.matrix.rows == 0) throw std::runtime_error(a->probe + " holds no probes");
      if (probes.matrix.cols != g.dimension()) {
        throw std::runtime_error("probes have dimension " + std::to_string(probes.matrix.cols) +
                                 ", the gallery " + std::to_string(g.dimension()));
      }
      if (a->rows.empty()) {
        for (std::size_t i = 0; i < probes.matrix.rows; ++i) a->rows.push_back(i);
      }
      // Every requested row is checked before any is searched, so a bad
      // row prints nothing else; errors name the row of the probe file.
      for (std::size_t row : a->rows) {
        if (row >= probes.matrix.rows) {
          throw std::runtime_error("--row " + std::to_string(row) + " is past the " +
                                   std::to_string(probes.matrix.rows) + " probes of " + a->probe);
        }
        try {
          search::quantize_rows({probes.matrix.row(row), probes.matrix.cols}, probes.matrix.cols,
                                g.config.quant_scale, row);
        } catch (const search::InputError& e) {
          throw std::runtime_error(a->probe + ": " + e.what());
        }
      }
      std::optional<data::Embeddings> plain;
      if (!a->compare.empty()) {
        plain = data::read_embeddings(a->compare);
        if (plain->matrix.rows == 0 || plain->matrix.cols != g.dimension()) {
          throw std::runtime_error("--compare-with " + a->compare + " holds " +
                                   std::to_string(plain->matrix.rows) + " rows of dimension " +
                                   std::to_string(plain->matrix.cols) + "; the gallery has " +
                                   std::to_string(g.dimension()));
        }
      }
      nlohmann::json out = nlohmann::json::array();
      std::unique_ptr<Searcher> searcher = make_searcher(
          g, keys, a->candidates, a->threads ? a->threads : search::default_threads());
      const std::uint32_t scale =
          g.two_stage ? g.two_stage->layout.full_scale : g.config.quant_scale;
      for (std::size_t row : a->rows) {
        SearchResult r;
        try {
          r = searcher->search(probes.matrix.row(row), a->k, a->threshold);
        } catch (const search::InputError& e) {
          throw std::runtime_error(a->probe + ", row " + std::to_string(row) + ": " + e.what());
        }
        if (a->json) {
          out.push_back(hits_json(r, row));
        } else if (plain) {
          print_hits(r, row, false);
          print_comparison(
              r,
              plaintext_top(plain->matrix, std::filesystem::path(a->compare).stem().string(),
                            probes.matrix.row(row), scale, r.hits.size()),
              g.two_stage.has_value());
        } else {
          print_hits(r, row);
        }
      }
      // A label stored before labels were checked could be invalid UTF-8:
      // replaced (U+FFFD) rather than failing after the search.
      if (a->json)
        std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    });
  }
}

}  // namespace veil::apps

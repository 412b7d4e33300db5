#include "veil/reduce/metrics.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <functional>
#include <limits>
#include <stdexcept>
#include <thread>
#include <unordered_set>

#include "veil/data/dot.h"

namespace veil::reduce {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void need(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

std::string sz(std::size_t n) { return std::to_string(n); }

// Runs body(lo, hi) over [0, n) split into contiguous ranges, one per thread.
void parallel_ranges(std::size_t n, unsigned threads,
                     const std::function<void(std::size_t, std::size_t)>& body) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  if (n < threads) threads = static_cast<unsigned>(std::max<std::size_t>(n, 1));
  if (threads <= 1) {
    body(0, n);
    return;
  }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(threads);
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      try {
        body(n * t / threads, n * (t + 1) / threads);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  }
  for (auto& th : pool) th.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

// 0 when the probe has no mate, else 1 + the non-mate rows scoring >= the best mate.
std::size_t rank_of(const float* scores, std::span<const std::int64_t> gallery_labels,
                    std::int64_t label) {
  const std::size_t G = gallery_labels.size();
  float best = -std::numeric_limits<float>::infinity();
  bool mate = false;
  for (std::size_t g = 0; g < G; ++g) {
    if (gallery_labels[g] == label && (!mate || scores[g] > best)) {
      best = scores[g];
      mate = true;
    }
  }
  if (!mate) return 0;
  std::size_t rank = 1;
  for (std::size_t g = 0; g < G; ++g) {
    if (gallery_labels[g] != label && scores[g] >= best) ++rank;
  }
  return rank;
}

IdentificationResult summarise(const std::vector<std::size_t>& ranks) {
  IdentificationResult r;
  std::size_t hit1 = 0, hit10 = 0;
  for (std::size_t rank : ranks) {
    if (rank == 0) {
      ++r.probes_without_mate;
      continue;
    }
    ++r.probes_scored;
    hit1 += rank == 1;
    hit10 += rank <= 10;
  }
  r.rank1 = r.probes_scored ? static_cast<double>(hit1) / r.probes_scored : kNaN;
  r.rank10 = r.probes_scored ? static_cast<double>(hit10) / r.probes_scored : kNaN;
  return r;
}

void check_rows(const data::Matrix& m, std::span<const std::int64_t> labels, const char* what) {
  need(labels.size() == m.rows, std::string(what) + ": " + sz(labels.size()) +
                                    " labels, expected one per row: " + sz(m.rows));
}

void check_dims(const data::Matrix& a, const data::Matrix& b, const char* what) {
  need(a.cols == b.cols || a.rows == 0 || b.rows == 0,
       std::string(what) + ": dimension " + sz(b.cols) + ", expected " + sz(a.cols));
}

double l2sq(const float* a, const float* b, std::size_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (std::size_t l = 0; l < 8; ++l) {
      const float d = a[i + l] - b[i + l];
      acc[l] += d * d;
    }
  }
  double s = 0;
  for (float v : acc) s += v;
  for (; i < n; ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    s += d * d;
  }
  return s;
}

}  // namespace

IdentificationResult identification_from_scores(std::span<const float> scores,
                                                std::span<const std::int64_t> gallery_labels,
                                                std::span<const std::int64_t> probe_labels) {
  const std::size_t G = gallery_labels.size(), P = probe_labels.size();
  need(scores.size() == P * G, "identification_from_scores: " + sz(scores.size()) +
                                   " scores, expected probes x gallery = " + sz(P) + " x " + sz(G));
  std::vector<std::size_t> ranks(P);
  for (std::size_t p = 0; p < P; ++p) {
    ranks[p] = rank_of(scores.data() + p * G, gallery_labels, probe_labels[p]);
  }
  return summarise(ranks);
}

IdentificationResult identification_accuracy(const data::Matrix& gallery,
                                             std::span<const std::int64_t> gallery_labels,
                                             const data::Matrix& probes,
                                             std::span<const std::int64_t> probe_labels,
                                             unsigned threads) {
  check_rows(gallery, gallery_labels, "identification_accuracy: gallery");
  check_rows(probes, probe_labels, "identification_accuracy: probes");
  check_dims(gallery, probes, "identification_accuracy: probes");
  std::vector<std::size_t> ranks(probes.rows);
  parallel_ranges(probes.rows, threads, [&](std::size_t lo, std::size_t hi) {
    std::vector<float> s(gallery.rows);
    for (std::size_t p = lo; p < hi; ++p) {
      for (std::size_t g = 0; g < gallery.rows; ++g) {
        s[g] = static_cast<float>(data::dot(probes.row(p), gallery.row(g), gallery.cols));
      }
      ranks[p] = rank_of(s.data(), gallery_labels, probe_labels[p]);
    }
  });
  return summarise(ranks);
}

IdentificationResult identification_from_top_k(const data::IntMatrix& top_ids,
                                               std::span<const std::int64_t> gallery_labels,
                                               std::span<const std::int64_t> probe_labels) {
  need(top_ids.rows == probe_labels.size(),
       "identification_from_top_k: " + sz(top_ids.rows) +
           " candidate lists, expected one per probe: " + sz(probe_labels.size()));
  std::unordered_set<std::int64_t> enrolled(gallery_labels.begin(), gallery_labels.end());
  const std::size_t G = gallery_labels.size();
  std::vector<std::size_t> ranks(top_ids.rows);
  const std::size_t too_deep = top_ids.cols + 1;  // mate not in the list
  for (std::size_t p = 0; p < top_ids.rows; ++p) {
    if (!enrolled.count(probe_labels[p])) continue;  // rank 0: no mate
    ranks[p] = too_deep + 10;
    for (std::size_t c = 0; c < top_ids.cols; ++c) {
      const std::int32_t id = top_ids.row(p)[c];
      if (id < 0) continue;
      need(static_cast<std::size_t>(id) < G, "identification_from_top_k: probe " + sz(p) +
                                                 ": gallery id " + std::to_string(id) +
                                                 " out of range [0, " + sz(G) + ")");
      if (gallery_labels[static_cast<std::size_t>(id)] == probe_labels[p]) {
        ranks[p] = c + 1;
        break;
      }
    }
  }
  IdentificationResult r = summarise(ranks);
  if (top_ids.cols < 10) r.rank10 = kNaN;
  return r;
}

PairScores pair_scores(const data::Matrix& gallery, std::span<const std::int64_t> gallery_labels,
                       const data::Matrix& probes, std::span<const std::int64_t> probe_labels) {
  check_rows(gallery, gallery_labels, "pair_scores: gallery");
  check_rows(probes, probe_labels, "pair_scores: probes");
  check_dims(gallery, probes, "pair_scores: probes");
  PairScores out;
  for (std::size_t p = 0; p < probes.rows; ++p) {
    for (std::size_t g = 0; g < gallery.rows; ++g) {
      const float s = static_cast<float>(data::dot(probes.row(p), gallery.row(g), gallery.cols));
      (probe_labels[p] == gallery_labels[g] ? out.genuine : out.impostor).push_back(s);
    }
  }
  return out;
}

PairScores pair_scores(const data::Matrix& x, std::span<const std::int64_t> labels) {
  check_rows(x, labels, "pair_scores");
  PairScores out;
  for (std::size_t i = 0; i < x.rows; ++i) {
    for (std::size_t j = i + 1; j < x.rows; ++j) {
      const float s = static_cast<float>(data::dot(x.row(i), x.row(j), x.cols));
      (labels[i] == labels[j] ? out.genuine : out.impostor).push_back(s);
    }
  }
  return out;
}

TarAtFar tar_at_far(std::span<const float> genuine, std::span<const float> impostor, double far) {
  need(far > 0 && far < 1, "tar_at_far: FAR " + std::to_string(far) + " outside (0, 1)");
  TarAtFar r;
  r.far_target = far;
  r.tar = r.threshold = r.far_achieved = kNaN;
  const std::size_t n = impostor.size();
  // The 1e-9 absorbs rounding in 1/far and far*n (1e-3 * 1000 must be 1).
  const double needed = std::ceil(1.0 / far - 1e-9);
  if (static_cast<double>(n) < needed) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "FAR %g needs at least %.0f impostor scores, got %zu", far,
                  needed, n);
    r.reason = buf;
    return r;
  }
  if (genuine.empty()) {
    r.reason = "no genuine scores";
    return r;
  }
  const auto m = static_cast<std::size_t>(std::floor(far * static_cast<double>(n) + 1e-9));
  std::vector<float> imp(impostor.begin(), impostor.end());
  std::nth_element(imp.begin(), imp.begin() + static_cast<std::ptrdiff_t>(m), imp.end(),
                   std::greater<float>());
  const float t = imp[m];
  std::size_t fa = 0, ta = 0;
  for (float s : impostor) fa += s > t;
  for (float s : genuine) ta += s > t;
  r.valid = true;
  r.threshold = t;
  r.far_achieved = static_cast<double>(fa) / static_cast<double>(n);
  r.tar = static_cast<double>(ta) / static_cast<double>(genuine.size());
  return r;
}

double recall_at_k(const data::IntMatrix& returned, const data::IntMatrix& exact, std::size_t k) {
  need(k > 0, "recall_at_k: k must be positive");
  need(returned.rows == exact.rows,
       "recall_at_k: " + sz(returned.rows) +
           " returned lists, expected one per query: " + sz(exact.rows));
  need(returned.cols >= k && exact.cols >= k,
       "recall_at_k: k = " + sz(k) + " needs that many columns, got " + sz(returned.cols) +
           " returned and " + sz(exact.cols) + " exact");
  need(exact.rows > 0, "recall_at_k: no queries");
  double sum = 0;
  for (std::size_t q = 0; q < exact.rows; ++q) {
    std::unordered_set<std::int32_t> truth, seen;
    for (std::size_t c = 0; c < k; ++c) {
      if (exact.row(q)[c] >= 0) truth.insert(exact.row(q)[c]);
    }
    need(!truth.empty(), "recall_at_k: query " + sz(q) + " has no exact neighbours");
    std::size_t hits = 0;
    for (std::size_t c = 0; c < k; ++c) {
      const std::int32_t id = returned.row(q)[c];
      if (id >= 0 && seen.insert(id).second && truth.count(id)) ++hits;
    }
    sum += static_cast<double>(hits) / static_cast<double>(truth.size());
  }
  return sum / static_cast<double>(exact.rows);
}

double recall_at_k_tie_aware(const data::IntMatrix& returned, const data::Matrix& base,
                             const data::Matrix& queries, std::size_t k, double tolerance) {
  need(k > 0, "recall_at_k_tie_aware: k must be positive");
  need(returned.rows == queries.rows,
       "recall_at_k_tie_aware: " + sz(returned.rows) +
           " returned lists, expected one per query: " + sz(queries.rows));
  need(returned.cols >= k, "recall_at_k_tie_aware: k = " + sz(k) +
                               " needs that many columns, got " + sz(returned.cols));
  need(base.rows > 0 && queries.rows > 0, "recall_at_k_tie_aware: empty base or queries");
  check_dims(base, queries, "recall_at_k_tie_aware: queries");
  const std::size_t kk = std::min(k, base.rows);
  double sum = 0;
  std::vector<double> s(base.rows);
  for (std::size_t q = 0; q < queries.rows; ++q) {
    for (std::size_t b = 0; b < base.rows; ++b)
      s[b] = data::dot(queries.row(q), base.row(b), base.cols);
    std::vector<double> sorted = s;
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(kk - 1),
                     sorted.end(), std::greater<double>());
    const double kth = sorted[kk - 1];
    std::unordered_set<std::int32_t> seen;
    std::size_t hits = 0;
    for (std::size_t c = 0; c < k; ++c) {
      const std::int32_t id = returned.row(q)[c];
      if (id < 0 || static_cast<std::size_t>(id) >= base.rows || !seen.insert(id).second) continue;
      if (s[static_cast<std::size_t>(id)] >= kth - tolerance) ++hits;
    }
    sum += static_cast<double>(std::min(hits, kk)) / static_cast<double>(kk);
  }
  return sum / static_cast<double>(queries.rows);
}

TopK exact_top_k(const data::Matrix& base, const data::Matrix& queries, std::size_t k,
                 Similarity similarity, unsigned threads) {
  check_dims(base, queries, "exact_top_k: queries");
  need(base.rows <= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()),
       "exact_top_k: " + sz(base.rows) + " base rows do not fit 32-bit ids");
  k = std::min(k, base.rows);
  TopK out;
  out.ids.rows = out.scores.rows = queries.rows;
  out.ids.cols = out.scores.cols = k;
  out.ids.values.resize(queries.rows * k);
  out.scores.values.resize(queries.rows * k);
  if (k == 0) return out;
  parallel_ranges(queries.rows, threads, [&](std::size_t lo, std::size_t hi) {
    std::vector<double> s(base.rows);
    std::vector<std::int32_t> idx(base.rows);
    for (std::size_t q = lo; q < hi; ++q) {
      for (std::size_t b = 0; b < base.rows; ++b) {
        s[b] = similarity == Similarity::kInnerProduct
                   ? data::dot(queries.row(q), base.row(b), base.cols)
                   : -l2sq(queries.row(q), base.row(b), base.cols);
        idx[b] = static_cast<std::int32_t>(b);
      }
      std::partial_sort(
          idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k), idx.end(),
          [&](std::int32_t a, std::int32_t b) { return s[a] > s[b] || (s[a] == s[b] && a < b); });
      for (std::size_t c = 0; c < k; ++c) {
        out.ids.row(q)[c] = idx[c];
        out.scores.row(q)[c] = static_cast<float>(s[idx[c]]);
      }
    }
  });
  return out;
}

}  // namespace veil::reduce

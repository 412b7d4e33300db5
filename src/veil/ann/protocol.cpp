#include "veil/ann/protocol.h"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <queue>
#include <string>

#include "veil/io/elapsed.h"
#include "veil/io/errors.h"
#include "veil/rlwe/params.h"
#include "veil/search/enroll.h"
#include "veil/search/parallel.h"

namespace veil::ann {

namespace {
double max_row_norm(std::span<const float> v, std::size_t d) {
  double m = 0;
  for (std::size_t i = 0; i < v.size() / d; ++i) {
    double s = 0;
    for (std::size_t j = 0; j < d; ++j) s += static_cast<double>(v[i * d + j]) * v[i * d + j];
    m = std::max(m, std::sqrt(s));
  }
  return m;
}

// A bound for quantize_bounded: the largest norm, or 1 for all-zero rows.
double bound_of(std::span<const float> v, std::size_t d) {
  const double m = max_row_norm(v, d);
  return m > 0 ? m : 1.0;
}

std::uint64_t param_id_of(const search::SearchConfig& c) {
  return rlwe::Parameters::create(c.parameter_literal())->id();
}

constexpr double kInt16 = 32767;

// Throws search::InputError for a query the index cannot take.
void check_query(const AnnParams& p, std::span<const float> query) {
  if (query.size() != p.dimension) {
    throw search::InputError("query has dimension " + std::to_string(query.size()) +
                             ", the index " + std::to_string(p.dimension));
  }
  double n2 = 0;
  for (float v : query) {
    if (!std::isfinite(v)) throw search::InputError("query has a value that is not finite");
    n2 += static_cast<double>(v) * v;
  }
  if (std::sqrt(n2) > p.query_bound) {
    throw search::InputError("query has norm " + std::to_string(std::sqrt(n2)) +
                             ", above the index's query bound " + std::to_string(p.query_bound) +
                             " (rebuild the index with a larger --query-bound)");
  }
}

search::QuantizedRows concat(search::QuantizedRows a, const search::QuantizedRows& b) {
  a.values.insert(a.values.end(), b.values.begin(), b.values.end());
  a.rows += b.rows;
  return a;
}
}  // namespace

SearchPlan::~SearchPlan() {
  for (auto* v : {&list_terms, &lut}) {
    if (!v->empty()) sodium_memzero(v->data(), v->size() * sizeof(float));
  }
}

BuiltIndex build_index(std::span<const float> data, std::size_t d, const BuildOptions& o,
                       const OwnerKeys& keys, const Progress& progress) {
  auto t0 = std::chrono::steady_clock::now();
  BuildReport report;
  const TableLayout layout = make_table_layout(4096, d, o.groups);  // checks groups first
  IvfPqIndex plain = IvfPqIndex::build(data, d, o.ivf, progress);
  report.train_add_s = io::s_since(t0);

  AnnParams p;
  randombytes_buf(p.index_id.data(), p.index_id.size());
  p.key_id = keys.key_id;
  p.dimension = d;
  p.nlist = plain.nlist();
  p.m = plain.m();
  p.groups = o.groups;
  p.size = plain.size();
  p.query_bound = o.query_bound > 0 ? o.query_bound : 1.25 * bound_of(data, d);
  p.refine = o.refine;
  if (o.refine) {
    float top = 0;
    for (float v : data) top = std::max(top, std::abs(v));
    p.refine_bound = top > 0 ? top : 1.0;
  }
  p.scan = table_scan_config(layout);

  t0 = std::chrono::steady_clock::now();
  if (progress) progress("tables", 0);
  const auto centroids = plain.centroids();
  const auto codewords = plain.embedded_codewords();
  p.centroid_bound = bound_of(centroids, d);
  p.codeword_bound = bound_of(codewords, d);
  const std::uint32_t s = p.scan.quant_scale;
  const auto rows = concat(quantize_bounded(centroids, d, p.centroid_bound, s),
                           quantize_bounded(codewords, d, p.codeword_bound, s));
  IndexFiles files;
  files.tables =
      TableEncryptor(p.scan, layout, keys.ctx, *keys.sk).encrypt(rows, search::default_threads());
  report.tables_s = io::s_since(t0);
  report.table_blocks = files.tables.size();
  report.table_bytes = files.tables.size() * p.scan.block_bytes();

  t0 = std::chrono::steady_clock::now();
  ListSealer sealer(*keys.sk, p.index_id, p.m, p.refine_dimension());
  for (std::size_t l = 0; l < p.nlist; ++l) {
    report.largest_list = std::max(report.largest_list, plain.list_size(l));
  }
  const std::size_t equal = o.equal_lists ? padded_list_size(report.largest_list) : 0;
  files.lists.offsets.push_back(0);
  auto append = [&](std::size_t l, const IvfPqIndex::List& list, std::size_t padded) {
    const auto sealed = sealer.seal(l, list, padded);
    files.lists.bytes.insert(files.lists.bytes.end(), sealed.begin(), sealed.end());
    files.lists.offsets.push_back(files.lists.bytes.size());
    report.padded_entries += padded ? padded : padded_list_size(list.ids.size());
  };
  for (std::size_t l = 0; l < p.nlist; ++l) {
    if (progress && l % 64 == 0) progress("seal", static_cast<double>(l) / p.nlist);
    auto list = plain.list(l);
    if (p.refine) {
      list.refine.resize(list.ids.size() * d);
      for (std::size_t e = 0; e < list.ids.size(); ++e) {
        const float* x = data.data() + list.ids[e] * d;
        for (std::size_t j = 0; j < d; ++j) {
          list.refine[e * d + j] =
              static_cast<std::int16_t>(std::lround(x[j] * kInt16 / p.refine_bound));
        }
      }
    }
    append(l, list, equal);
  }
  IvfPqIndex::List norms;
  for (std::size_t l = 0; l < p.nlist; ++l) {
    double n2 = 0;
    for (std::size_t j = 0; j < d; ++j)
      n2 += static_cast<double>(centroids[l * d + j]) * centroids[l * d + j];
    norms.ids.push_back(l);
    norms.norms.push_back(static_cast<float>(n2));
  }
  norms.codes.assign(p.nlist * p.m, 0);
  norms.refine.assign(p.nlist * p.refine_dimension(), 0);
  append(p.nlist, norms, 0);
  report.padded_entries -= padded_list_size(p.nlist);
  if (progress) progress("seal", 1);
  report.seal_s = io::s_since(t0);
  report.list_bytes = files.lists.bytes.size();
  files.params = p;
  files.params.validate();
  return {std::move(files), std::move(plain), report};
}

AnnQuerier::AnnQuerier(const AnnParams& params, rlwe::ContextPtr ctx, const rlwe::SecretKey& sk,
                       ProbeForm form)
    : params_(params),
      form_(form),
      layout_(params.layout()),
      encryptor_(params.scan, std::move(ctx), sk, params.key_id),
      seal_key_(collection::SealKey(sk).public_key()),
      param_id_(param_id_of(params.scan)) {}

std::vector<std::uint8_t> AnnQuerier::seal_query(std::span<const float> query) const {
  check_query(params_, query);
  collection::FullProbe probe{params_.key_id, std::vector<std::int16_t>(query.size())};
  for (std::size_t i = 0; i < query.size(); ++i) {
    probe.values[i] =
        static_cast<std::int16_t>(std::lround(query[i] * kInt16 / params_.query_bound));
  }
  auto sealed = collection::seal_full_probe(param_id_, probe, seal_key_);
  sodium_memzero(probe.values.data(), probe.values.size() * sizeof(std::int16_t));
  return sealed;
}

search::EncryptedProbe AnnQuerier::encrypt(std::span<const float> query,
                                           std::size_t threads) const {
  check_query(params_, query);
  const auto q =
      quantize_bounded(query, params_.dimension, params_.query_bound, params_.scan.quant_scale);
  auto padded = pad_probe(layout_, q.row(0));
  auto probe = form_ == ProbeForm::kExpanded ? encryptor_.encrypt_expanded(padded, threads)
                                             : encryptor_.encrypt_grouped(padded);
  sodium_memzero(padded.data(), padded.size() * sizeof(std::int16_t));
  return probe;
}

AnnServer::AnnServer(IndexFiles files, rlwe::ContextPtr ctx, rlwe::GaloisKeys keys,
                     std::size_t threads)
    : files_(std::move(files)),
      server_(files_.params.scan, files_.params.layout(), std::move(ctx), std::move(keys),
              files_.params.key_id, threads) {
  for (const auto& b : files_.tables) blocks_.push_back(b.data());
}

search::EncryptedScores AnnServer::tables(const search::EncryptedProbe& probe,
                                          search::ScanTimings* timings) const {
  return server_.evaluate(probe, blocks_, timings);
}

std::vector<std::span<const std::uint8_t>> AnnServer::lists(
    std::span<const std::uint32_t> ids) const {
  std::vector<std::span<const std::uint8_t>> out;
  out.reserve(ids.size());
  for (auto id : ids) {
    if (id >= files_.params.nlist) {
      throw std::out_of_range("ann: list " + std::to_string(id) + " is beyond the index's " +
                              std::to_string(files_.params.nlist));
    }
    out.push_back(files_.lists.list(id));
  }
  return out;
}

AnnKeyService::AnnKeyService(const AnnParams& params, rlwe::ContextPtr ctx,
                             const rlwe::SecretKey& sk, rlwe::GaloisKeys keys,
                             std::span<const std::uint8_t> centroid_slot)
    : params_(params),
      decryptor_(params.scan, params.layout(), std::move(ctx), sk, std::move(keys), params.key_id),
      sealer_(sk, params.index_id, params.m, params.refine_dimension()),
      seal_key_(std::make_unique<collection::SealKey>(sk)),
      param_id_(param_id_of(params.scan)) {
  const auto slot = sealer_.open(params.nlist, centroid_slot);
  if (slot.ids.size() < params.nlist) throw SealError("centroid norms: too few entries");
  for (std::size_t l = 0; l < params.nlist; ++l) {
    if (slot.ids[l] != l) throw SealError("centroid norms: entries out of order");
  }
  centroid_norms_.assign(slot.norms.begin(), slot.norms.begin() + params.nlist);
  const double s = params.scan.quant_scale;
  unit_c_ = params.query_bound * params.centroid_bound / (s * s);
  unit_w_ = params.query_bound * params.codeword_bound / (s * s);
}

search::ProbeKey AnnKeyService::prepare(const search::EncryptedProbe& probe) const {
  return decryptor_.prepare(probe, 1);
}

SearchPlan AnnKeyService::plan(const search::EncryptedScores& tables, const search::ProbeKey& key,
                               std::size_t nprobe, std::size_t fetch) const {
  if (nprobe == 0 || nprobe > params_.nlist) {
    throw search::InputError("nprobe must be in [1, " + std::to_string(params_.nlist) + "], got " +
                             std::to_string(nprobe));
  }
  if (fetch != 0 && (fetch < nprobe || fetch > params_.nlist)) {
    throw search::InputError("fetch must be 0 or in [nprobe = " + std::to_string(nprobe) + ", " +
                             std::to_string(params_.nlist) + "], got " + std::to_string(fetch));
  }
  auto entries = decryptor_.decrypt(tables, key, params_.table_rows(), 1);
  SearchPlan plan;
  std::vector<std::pair<float, std::uint32_t>> lists(params_.nlist);
  for (std::size_t l = 0; l < params_.nlist; ++l) {
    lists[l] = {static_cast<float>(centroid_norms_[l] - 2 * unit_c_ * entries[l]),
                static_cast<std::uint32_t>(l)};
  }
  std::partial_sort(lists.begin(), lists.begin() + nprobe, lists.end());
  if (fetch > nprobe) {
    // Decoys: a uniform (fetch - nprobe)-subset of the other lists, by a
    // partial Fisher-Yates shuffle of the tail.
    for (std::size_t i = nprobe; i < fetch; ++i) {
      const std::size_t j = i + randombytes_uniform(static_cast<std::uint32_t>(params_.nlist - i));
      std::swap(lists[i], lists[j]);
    }
  }
  const std::size_t count = std::max(fetch, nprobe);
  // Increasing list order: the request says nothing about which are nearest.
  std::sort(lists.begin(), lists.begin() + count,
            [](const auto& a, const auto& b) { return a.second < b.second; });
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint32_t l = lists[i].second;
    plan.lists.push_back(l);
    // ||q - y||^2 - ||q||^2 = ||y||^2 - 2 <q, c> - 2 <q, r> for y = c + r.
    plan.list_terms.push_back(static_cast<float>(-2 * unit_c_ * entries[l]));
  }
  sodium_memzero(lists.data(), lists.size() * sizeof lists[0]);
  plan.lut.resize(params_.m * kCodewords);
  for (std::size_t i = 0; i < plan.lut.size(); ++i) {
    plan.lut[i] = static_cast<float>(-2 * unit_w_ * entries[params_.nlist + i]);
  }
  sodium_memzero(entries.data(), entries.size() * sizeof entries[0]);
  return plan;
}

std::vector<Hit> AnnKeyService::rank(const SearchPlan& plan,
                                     std::span<const std::span<const std::uint8_t>> sealed,
                                     std::size_t k, const Refine& refine) const {
  if (sealed.size() != plan.lists.size()) {
    throw std::invalid_argument("ann rank: " + std::to_string(sealed.size()) +
                                " lists for a plan of " + std::to_string(plan.lists.size()));
  }
  if (k == 0) throw search::InputError("k must be positive");
  const bool refining = refine.candidates > 0;
  if (refining && !params_.refine) {
    throw search::InputError(
        "this index holds no refinement vectors (build it with veil ann build --refine)");
  }
  if (refining && refine.candidates < k) {
    throw search::InputError("refinement candidates (" + std::to_string(refine.candidates) +
                             ") must be at least k (" + std::to_string(k) + ")");
  }
  const std::size_t keep = refining ? refine.candidates : k;
  const std::size_t m = params_.m;
  struct Candidate {
    float distance;
    std::uint64_t id;
    std::uint32_t slot;  // its vector in `vectors` (refining only)
  };
  auto worse = [](const Candidate& a, const Candidate& b) { return a.distance < b.distance; };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(worse)> best(worse);
  // The refinement vectors of the current candidates, one slot each: a
  // candidate pushed out hands its slot to the next, so only `keep`
  // vectors are ever held, not the opened lists.
  const std::size_t d = params_.refine_dimension();
  std::vector<std::int16_t> vectors(refining ? keep * d : 0);
  collection::FullProbe q;
  // Secrets are wiped on every way out, a list that does not open included.
  struct Wipe {
    std::vector<std::int16_t>& a;
    std::vector<std::int16_t>& b;
    ~Wipe() {
      for (auto* v : {&a, &b}) sodium_memzero(v->data(), v->size() * sizeof(std::int16_t));
    }
  } wipe{vectors, q.values};
  if (refining) {
    // Opened first: a query that does not open costs no list decryption.
    q = seal_key_->open(refine.sealed_query, param_id_, params_.dimension,
                        static_cast<std::int32_t>(kInt16));
    if (q.key_id != params_.key_id) throw io::FormatError("sealed query: made for another key set");
  }
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    auto list = sealer_.open(plan.lists[i], sealed[i]);
    const float base = plan.list_terms[i];
    for (std::size_t e = 0; e < list.ids.size(); ++e) {
      if (list.ids[e] == kDummyId) continue;
      const std::uint8_t* code = list.codes.data() + e * m;
      float dist = base + list.norms[e];
      for (std::size_t j = 0; j < m; ++j) dist += plan.lut[j * kCodewords + code[j]];
      std::uint32_t slot = 0;
      if (best.size() < keep) {
        slot = static_cast<std::uint32_t>(best.size());
      } else if (dist < best.top().distance) {
        slot = best.top().slot;
        best.pop();
      } else {
        continue;
      }
      best.push({dist, list.ids[e], slot});
      if (refining) std::copy_n(list.refine.data() + e * d, d, vectors.data() + slot * d);
    }
    sodium_memzero(list.codes.data(), list.codes.size());
    if (!list.refine.empty()) {
      sodium_memzero(list.refine.data(), list.refine.size() * sizeof(std::int16_t));
    }
  }
  std::vector<Candidate> top(best.size());
  for (std::size_t i = top.size(); i-- > 0;) {
    top[i] = best.top();
    best.pop();
  }
  if (refining) {
    // Exact re-rank: ||q - x||^2 - ||q||^2 = ||x||^2 - 2 <q, x> on the
    // int16 vectors, scaled back to the data's units.
    const double uq = params_.query_bound / kInt16, ux = params_.refine_bound / kInt16;
    for (auto& c : top) {
      const std::int16_t* x = vectors.data() + std::size_t{c.slot} * d;
      double dist = 0;
      for (std::size_t j = 0; j < d; ++j) {
        const double xv = ux * x[j];
        dist += xv * xv - 2 * xv * (uq * q.values[j]);
      }
      c.distance = static_cast<float>(dist);
    }
    std::sort(top.begin(), top.end(),
              [](const Candidate& a, const Candidate& b) { return a.distance < b.distance; });
    if (top.size() > k) top.resize(k);
  }
  std::vector<Hit> out;
  out.reserve(top.size());
  for (const auto& c : top) out.push_back({c.id, c.distance});
  return out;
}

}  // namespace veil::ann

#include "veil/ann/ivfpq.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFPQ.h>

#include <algorithm>
#include <cmath>

#include "veil/search/quantize.h"

namespace veil::ann {

namespace {
constexpr std::size_t kAddChunk = 65536;

void check_params(std::span<const float> data, std::size_t d, const IvfPqParams& p) {
  using search::InputError;
  if (d == 0 || data.size() % d != 0) {
    throw InputError("ann build: " + std::to_string(data.size()) +
                     " values are not a whole number of rows of dimension " + std::to_string(d));
  }
  const std::size_t n = data.size() / d;
  if (p.nlist == 0 || p.m == 0) throw InputError("ann build: nlist and m must be positive");
  if (d % p.m != 0) {
    throw InputError("ann build: dimension " + std::to_string(d) +
                     " is not a multiple of m = " + std::to_string(p.m));
  }
  if (n < std::max(p.nlist, kCodewords)) {
    throw InputError("ann build: " + std::to_string(n) + " rows cannot train " +
                     std::to_string(p.nlist) + " lists and 256 codewords");
  }
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (!std::isfinite(data[i])) {
      throw InputError("ann build: row " + std::to_string(i / d) +
                       " has a value that is not finite");
    }
  }
}
}  // namespace

IvfPqIndex::IvfPqIndex(std::unique_ptr<faiss::IndexIVFPQ> index) : index_(std::move(index)) {}
IvfPqIndex::IvfPqIndex(IvfPqIndex&&) noexcept = default;
IvfPqIndex& IvfPqIndex::operator=(IvfPqIndex&&) noexcept = default;
IvfPqIndex::~IvfPqIndex() = default;

IvfPqIndex IvfPqIndex::build(std::span<const float> data, std::size_t d, const IvfPqParams& p,
                             const Progress& progress) {
  check_params(data, d, p);
  const std::size_t n = data.size() / d;
  const std::size_t train = p.train_size ? std::min(p.train_size, n)
                                         : std::min(n, std::max<std::size_t>(64 * p.nlist, 65536));
  auto* quantizer = new faiss::IndexFlatL2(static_cast<faiss::Index::idx_t>(d));
  auto index = std::make_unique<faiss::IndexIVFPQ>(quantizer, d, p.nlist, p.m, 8);
  index->own_fields = true;  // deletes the quantizer
  IvfPqIndex out(std::move(index));
  // A strided sample: deterministic, spread over the whole input.
  std::vector<float> sample(train * d);
  for (std::size_t i = 0; i < train; ++i) {
    const std::size_t row = i * n / train;
    std::copy_n(data.data() + row * d, d, sample.data() + i * d);
  }
  if (progress) progress("train", 0);
  out.index_->train(static_cast<faiss::Index::idx_t>(train), sample.data());
  sample = {};
  for (std::size_t first = 0; first < n; first += kAddChunk) {
    if (progress) progress("add", static_cast<double>(first) / n);
    const std::size_t count = std::min(kAddChunk, n - first);
    std::vector<faiss::Index::idx_t> ids(count);
    for (std::size_t i = 0; i < count; ++i) ids[i] = static_cast<faiss::Index::idx_t>(first + i);
    out.index_->add_with_ids(static_cast<faiss::Index::idx_t>(count), data.data() + first * d,
                             ids.data());
  }
  if (progress) progress("add", 1);
  return out;
}

std::size_t IvfPqIndex::dimension() const { return static_cast<std::size_t>(index_->d); }
std::size_t IvfPqIndex::nlist() const { return index_->nlist; }
std::size_t IvfPqIndex::m() const { return index_->pq.M; }
std::size_t IvfPqIndex::size() const { return static_cast<std::size_t>(index_->ntotal); }

std::vector<float> IvfPqIndex::centroids() const {
  std::vector<float> c(nlist() * dimension());
  for (std::size_t l = 0; l < nlist(); ++l) {
    index_->quantizer->reconstruct(static_cast<faiss::Index::idx_t>(l), c.data() + l * dimension());
  }
  return c;
}

std::vector<float> IvfPqIndex::embedded_codewords() const {
  const std::size_t d = dimension(), m = this->m(), ds = d / m;
  std::vector<float> rows(m * kCodewords * d, 0.0f);
  for (std::size_t j = 0; j < m; ++j) {
    for (std::size_t k = 0; k < kCodewords; ++k) {
      const float* cw = index_->pq.get_centroids(j, k);
      std::copy_n(cw, ds, rows.data() + (j * kCodewords + k) * d + j * ds);
    }
  }
  return rows;
}

std::size_t IvfPqIndex::list_size(std::size_t l) const { return index_->invlists->list_size(l); }

IvfPqIndex::List IvfPqIndex::list(std::size_t l) const {
  const auto* inv = index_->invlists;
  const std::size_t size = inv->list_size(l), m = this->m(), d = dimension();
  List out;
  out.ids.resize(size);
  out.codes.resize(size * m);
  out.norms.resize(size);
  faiss::InvertedLists::ScopedCodes codes(inv, l);
  faiss::InvertedLists::ScopedIds ids(inv, l);
  std::copy_n(codes.get(), size * m, out.codes.data());
  std::vector<float> centroid(d), y(d);
  index_->quantizer->reconstruct(static_cast<faiss::Index::idx_t>(l), centroid.data());
  for (std::size_t i = 0; i < size; ++i) {
    out.ids[i] = static_cast<std::uint64_t>(ids.get()[i]);
    index_->pq.decode(out.codes.data() + i * m, y.data());
    double norm2 = 0;
    for (std::size_t j = 0; j < d; ++j) {
      const double v = static_cast<double>(y[j]) + centroid[j];
      norm2 += v * v;
    }
    out.norms[i] = static_cast<float>(norm2);
  }
  return out;
}

std::vector<std::int64_t> IvfPqIndex::search(std::span<const float> queries, std::size_t k,
                                             std::size_t nprobe) const {
  const std::size_t nq = queries.size() / dimension();
  std::vector<float> dist(nq * k);
  std::vector<faiss::Index::idx_t> labels(nq * k);
  faiss::SearchParametersIVF sp;
  sp.nprobe = nprobe;
  index_->search(static_cast<faiss::Index::idx_t>(nq), queries.data(),
                 static_cast<faiss::Index::idx_t>(k), dist.data(), labels.data(), &sp);
  return {labels.begin(), labels.end()};
}

}  // namespace veil::ann

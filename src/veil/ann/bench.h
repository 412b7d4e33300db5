// PPPQ-ANN measured end to end (`veil ann bench`, and later the service and
// the Python bindings): every party in one process, each configuration run
// one query at a time (latency, both cores per query: the key service
// prepares while the server scans) and with one query per core
// (throughput), beside faiss's plaintext IVF-PQ with the same nlist, m and
// nprobe, and optionally Veil's exhaustive encrypted search of the same
// vectors. Nothing is printed here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "veil/ann/protocol.h"
#include "veil/data/matrix.h"

namespace veil::ann {

// The k nearest base rows of each query by exact L2 (faiss IndexFlatL2),
// queries x k.
std::vector<std::int64_t> exact_neighbours(const data::Matrix& base, const data::Matrix& queries,
                                           std::size_t k);

// |truth[:k] ∩ got[:k]| / k.
double recall_at(std::span<const std::int64_t> truth, std::span<const std::int64_t> got,
                 std::size_t k);

// The data owner's key set: fresh for tables laid out by `layout`, or
// filled in by the caller (default constructed).
struct BenchKeys {
  BenchKeys() = default;
  search::SearchConfig scan;
  rlwe::ContextPtr ctx;
  rlwe::SecretKey sk;
  rlwe::GaloisKeys galois;
  io::KeyId key_id;
  explicit BenchKeys(const TableLayout& layout);
  OwnerKeys owner() const { return {ctx, &sk, key_id}; }
};

struct BenchRun {
  ProbeForm form = ProbeForm::kExpanded;
  std::size_t nprobe = 8, fetch = 0, refine = 0;
  std::size_t sequential = 200;  // queries timed one at a time (the first ones)
};

struct BenchResult {
  double recall_faiss = 0, recall_veil = 0, faiss_qps = 0;
  double p50_ms = 0, p99_ms = 0, sequential_qps = 0, concurrent_qps = 0;
  // p50 of the sequential queries' steps.
  double encrypt_ms = 0, tables_ms = 0, plan_ms = 0, rank_ms = 0;
  std::size_t upload_bytes = 0;  // one probe on the wire
  double list_bytes = 0;         // sealed list bytes fetched per query, mean
};

class AnnBench {
 public:
  // `truth`: queries x k ids (std::invalid_argument if fewer). The index
  // must have been built under `keys`. `queries`, `index` and `keys` are
  // kept by reference and must outlive the bench.
  AnnBench(const data::Matrix& queries, std::vector<std::int64_t> truth, std::size_t k,
           const BuiltIndex& index, const BenchKeys& keys);
  BenchResult run(const BenchRun& r) const;

 private:
  const data::Matrix& queries_;
  std::vector<std::int64_t> truth_;
  std::size_t k_;
  const BuiltIndex& index_;
  const BenchKeys& keys_;
  AnnServer server_, server1_;  // both cores per query; one core per query
  AnnKeyService ks_;
};

struct ExactResult {
  double encrypt_s = 0, p50_ms = 0, recall = 0;
  std::size_t queries = 0, blocks = 0;
};

// Veil's exhaustive encrypted search of every base vector (full expansion,
// n rows per block, its own keys): exact quantised inner products, ranked
// by ||x||^2 - 2 <q, x>, over the first `queries` queries.
ExactResult exact_encrypted_search(const data::Matrix& base, const data::Matrix& queries,
                                   std::span<const std::int64_t> truth, std::size_t k,
                                   std::size_t queries_used);

}  // namespace veil::ann

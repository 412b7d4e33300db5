// PPPQ-ANN's four parties over one encrypted IVF-PQ index (docs/ann.md):
//   build_index    the data owner (secret key, the vectors): trains IVF-PQ,
//                  encrypts the centroid and codeword tables, seals the lists
//   AnnQuerier     encrypts a query as one grouped probe
//   AnnServer      holds the index (no secret): evaluates the tables under
//                  encryption and hands out the sealed lists asked for
//   AnnKeyService  holds the secret key (the TEE role): decrypts the tables,
//                  picks the nprobe lists, opens them, scans them with the
//                  lookup tables and releases only the top-k ids
// One search: probe = querier.encrypt(q); in parallel server.tables(probe)
// and ks.prepare(probe); plan = ks.plan(tables, key, nprobe);
// hits = ks.rank(plan, server.lists(plan.lists), k).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "veil/ann/index_files.h"
#include "veil/ann/ivfpq.h"
#include "veil/ann/tables.h"
#include "veil/collection/sealed_probe.h"
#include "veil/io/key_id.h"
#include "veil/rlwe/context.h"
#include "veil/rlwe/objects.h"

namespace veil::ann {

struct BuildOptions {
  IvfPqParams ivf;
  std::size_t groups = 16;
  // Largest query norm the index accepts; 0 picks 1.25 x the largest
  // vector norm of the data.
  double query_bound = 0;
  // Pad every list to the size of the largest (instead of its own rung of
  // the size ladder): with a fixed fetch count (AnnKeyService::plan), every
  // query then moves and scans the same number of entries (docs/ann.md,
  // "Access pattern").
  bool equal_lists = false;
  // Seal each vector (as int16) with its code, so the key service can
  // re-rank its best PQ candidates exactly (rank's `refine`).
  bool refine = false;
};

struct BuildReport {
  double train_add_s = 0, tables_s = 0, seal_s = 0, write_s = 0;
  std::size_t table_blocks = 0, table_bytes = 0, list_bytes = 0, padded_entries = 0;
  std::size_t largest_list = 0;  // entries, before padding
};

struct OwnerKeys {
  rlwe::ContextPtr ctx;
  const rlwe::SecretKey* sk = nullptr;
  io::KeyId key_id;
};

// Trains, encrypts and seals; writes the index to `dir` when given (it must
// not exist). Returns the plaintext faiss index too: the benchmarks' ceiling.
struct BuiltIndex {
  IndexFiles files;
  IvfPqIndex plain;
  BuildReport report;
};
BuiltIndex build_index(std::span<const float> data, std::size_t dimension, const BuildOptions& o,
                       const OwnerKeys& keys, const Progress& progress = {});

// How the querier sends its query (docs/ann.md, "Probe forms"):
//   kCompact   one seeded ciphertext; the server and the key service each
//              expand it (G - 1 key switches each)
//   kExpanded  the G ciphertexts the expansion would produce, each seeded:
//              no key switching anywhere, G times the upload
enum class ProbeForm { kCompact, kExpanded };

class AnnQuerier {
 public:
  AnnQuerier(const AnnParams& params, rlwe::ContextPtr ctx, const rlwe::SecretKey& sk,
             ProbeForm form = ProbeForm::kExpanded);
  // Throws search::InputError for a wrong dimension, a value that is not
  // finite, or a norm above params.query_bound. `threads` share the G
  // encryptions of the expanded form.
  search::EncryptedProbe encrypt(std::span<const float> query, std::size_t threads = 1) const;
  // The query as int16 (coordinate * 32767 / query_bound), sealed to the key
  // service's seal key, for a refining index's re-rank. The same checks as
  // encrypt.
  std::vector<std::uint8_t> seal_query(std::span<const float> query) const;
  ProbeForm form() const { return form_; }

 private:
  AnnParams params_;
  ProbeForm form_;
  TableLayout layout_;
  search::ProbeEncryptor encryptor_;
  std::array<std::uint8_t, 32> seal_key_{};
  std::uint64_t param_id_ = 0;
};

class AnnServer {
 public:
  AnnServer(IndexFiles files, rlwe::ContextPtr ctx, rlwe::GaloisKeys keys, std::size_t threads = 0);
  const AnnParams& params() const { return files_.params; }
  search::EncryptedScores tables(const search::EncryptedProbe& probe,
                                 search::ScanTimings* timings = nullptr) const;
  // The sealed lists asked for (views into the index), in request order;
  // std::out_of_range for a list number beyond the index.
  std::vector<std::span<const std::uint8_t>> lists(std::span<const std::uint32_t> ids) const;
  // The sealed centroid norms the key service needs once.
  std::span<const std::uint8_t> key_service_slot() const {
    return files_.lists.list(files_.params.nlist);
  }

 private:
  IndexFiles files_;
  std::vector<const std::uint32_t*> blocks_;
  TableServer server_;
};

struct Hit {
  std::uint64_t id;
  float distance;  // ||q - y||^2 - ||q||^2 for the reconstruction y (approximate)
};

// What the key service keeps between its two steps of one query: the lists
// to fetch and the query's lookup tables (secret; zeroised on destruction).
struct SearchPlan {
  std::vector<std::uint32_t> lists;
  std::vector<float> list_terms;  // per fetched list: -2 <q, c>
  std::vector<float> lut;         // m x 256: -2 <q_j, codeword>
  SearchPlan() = default;
  SearchPlan(SearchPlan&&) = default;
  SearchPlan& operator=(SearchPlan&&) = default;
  ~SearchPlan();
};

// The exact re-rank of a refining index (AnnKeyService::rank).
struct Refine {
  std::size_t candidates = 0;                  // PQ candidates re-ranked (0: none)
  std::span<const std::uint8_t> sealed_query;  // AnnQuerier::seal_query
};

class AnnKeyService {
 public:
  // `centroid_slot`: AnnServer::key_service_slot(). Throws SealError if it
  // does not open under this secret key and index.
  AnnKeyService(const AnnParams& params, rlwe::ContextPtr ctx, const rlwe::SecretKey& sk,
                rlwe::GaloisKeys keys, std::span<const std::uint8_t> centroid_slot);
  // The key service's own expansion of the probe (runs while the server scans).
  search::ProbeKey prepare(const search::EncryptedProbe& probe) const;
  // Decrypts the tables and picks the nprobe nearest lists. With `fetch`
  // (nprobe <= fetch <= nlist; 0: nprobe) the plan holds exactly `fetch`
  // lists, in increasing order: the nprobe nearest and fetch - nprobe others
  // drawn uniformly (CSPRNG) from the rest, so the server sees a fixed
  // number of lists of which it cannot tell the nearest. Every list of the
  // plan is ranked (the extra ones only add candidates).
  SearchPlan plan(const search::EncryptedScores& tables, const search::ProbeKey& key,
                  std::size_t nprobe, std::size_t fetch = 0) const;
  // Opens the lists (SealError if one does not) and returns the k nearest
  // entries, nearest first. With `refine` (a refining index only) the
  // refine.candidates nearest by PQ distance are re-ranked by their exact
  // distance to the sealed query (AnnQuerier::seal_query); io::FormatError
  // if that does not open.
  std::vector<Hit> rank(const SearchPlan& plan,
                        std::span<const std::span<const std::uint8_t>> sealed, std::size_t k,
                        const Refine& refine = {}) const;

 private:
  AnnParams params_;
  TableDecryptor decryptor_;
  ListSealer sealer_;
  std::unique_ptr<collection::SealKey> seal_key_;
  std::uint64_t param_id_ = 0;
  std::vector<float> centroid_norms_;
  double unit_c_ = 0, unit_w_ = 0;
};

}  // namespace veil::ann

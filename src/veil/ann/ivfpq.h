// The plaintext index the data owner builds (faiss: k-means and PQ training,
// assignment, encoding), and its parts in the form the protocol needs: the
// coarse centroids and PQ codewords (which become encrypted tables) and, per
// inverted list, ids, PQ codes and the squared norm of each reconstruction
// (which become sealed lists). The faiss index is also the plaintext ceiling
// the benchmarks compare with (same nlist, M, nprobe).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace faiss {
struct IndexIVFPQ;
}

namespace veil::ann {

inline constexpr std::size_t kCodewords = 256;  // 8-bit PQ codes

struct IvfPqParams {
  std::size_t nlist = 0;       // inverted lists (coarse centroids)
  std::size_t m = 0;           // PQ sub-quantisers; the dimension must be a multiple
  std::size_t train_size = 0;  // training sample (0: min(n, max(64 nlist, 65536)))
};

// Called with a stage name and the fraction done (0..1).
using Progress = std::function<void(const std::string& stage, double done)>;

class IvfPqIndex {
 public:
  // Trains on a sample of `data` (n x d, row-major) and adds every row with
  // id = its row number. Throws search::InputError for bad parameters
  // (nlist or m of 0, d not a multiple of m, fewer rows than nlist or 256)
  // or values that are not finite.
  static IvfPqIndex build(std::span<const float> data, std::size_t dimension,
                          const IvfPqParams& params, const Progress& progress = {});
  IvfPqIndex(IvfPqIndex&&) noexcept;
  IvfPqIndex& operator=(IvfPqIndex&&) noexcept;
  ~IvfPqIndex();

  std::size_t dimension() const;
  std::size_t nlist() const;
  std::size_t m() const;
  std::size_t size() const;

  // nlist x d.
  std::vector<float> centroids() const;
  // m x 256 rows of dimension d: codeword k of sub-quantiser j in its own
  // coordinates, zero elsewhere (so <q, row> = <q_j, codeword>).
  std::vector<float> embedded_codewords() const;

  struct List {
    std::vector<std::uint64_t> ids;
    std::vector<std::uint8_t> codes;  // m bytes per entry
    std::vector<float> norms;         // ||reconstruction||^2 per entry
    // Refining indexes only (AnnParams::refine): the vector as int16, d per
    // entry (filled by build_index, not by faiss).
    std::vector<std::int16_t> refine;
  };
  List list(std::size_t l) const;
  std::size_t list_size(std::size_t l) const;

  // The plaintext ceiling: faiss's own search with `nprobe` lists, k ids per
  // query (-1 where fewer were found), queries x k.
  std::vector<std::int64_t> search(std::span<const float> queries, std::size_t k,
                                   std::size_t nprobe) const;

 private:
  explicit IvfPqIndex(std::unique_ptr<faiss::IndexIVFPQ> index);
  std::unique_ptr<faiss::IndexIVFPQ> index_;
};

}  // namespace veil::ann

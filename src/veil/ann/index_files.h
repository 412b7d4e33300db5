// An encrypted IVF-PQ index at rest on the server: a directory of three io
// envelopes, none of which holds anything in the clear but sizes and public
// parameters.
//   ann.index   AnnIndex   AnnParams (below) and the tables' scan config
//   ann.tables  AnnTables  the encrypted table blocks (tables.h): nlist
//                          centroids, then m x 256 codewords
//   ann.lists   AnnLists   nlist sealed lists (sealed_list.h), then one more
//                          sealed slot with the squared centroid norms
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "veil/ann/sealed_list.h"
#include "veil/ann/table_layout.h"
#include "veil/io/key_id.h"
#include "veil/search/config.h"
#include "veil/search/layout.h"

namespace veil::ann {

struct AnnParams {
  IndexId index_id{};
  io::KeyId key_id;
  std::size_t dimension = 0, nlist = 0, m = 0, groups = 0, size = 0;
  // Norm bounds the tables were quantised with: queries must not exceed
  // query_bound; centroids and codewords do not exceed theirs.
  double query_bound = 0, centroid_bound = 0, codeword_bound = 0;
  // Refinement (docs/ann.md): every sealed entry also holds its vector as
  // int16, coordinate * 32767 / refine_bound (refine_bound: the largest
  // absolute coordinate), for the key service's exact re-rank.
  bool refine = false;
  double refine_bound = 0;
  search::SearchConfig scan;

  TableLayout layout() const { return make_table_layout(scan.n, dimension, groups); }
  std::size_t table_rows() const { return nlist + m * 256; }
  std::size_t refine_dimension() const { return refine ? dimension : 0; }
  // Throws io::FormatError naming the first inconsistent field.
  void validate() const;
};

std::vector<std::uint8_t> save_params(const AnnParams& p);
AnnParams load_params(std::span<const std::uint8_t> bytes);

std::vector<std::uint8_t> save_tables(const AnnParams& p, const std::vector<search::Words>& blocks);
std::vector<search::Words> load_tables(const AnnParams& p, std::span<const std::uint8_t> bytes);

// Sealed lists as one buffer with an offset table.
struct SealedLists {
  std::vector<std::uint64_t> offsets;  // count + 1
  std::vector<std::uint8_t> bytes;
  std::size_t count() const { return offsets.empty() ? 0 : offsets.size() - 1; }
  std::span<const std::uint8_t> list(std::size_t i) const {
    return {bytes.data() + offsets[i], bytes.data() + offsets[i + 1]};
  }
};
std::vector<std::uint8_t> save_lists(const AnnParams& p, const SealedLists& lists);
SealedLists load_lists(const AnnParams& p, std::span<const std::uint8_t> bytes);

struct IndexFiles {
  AnnParams params;
  std::vector<search::Words> tables;
  SealedLists lists;
};
// Writes the three files into a fresh directory next to `dir` and renames it
// into place: `dir` either does not exist or is complete. Throws if `dir`
// exists.
void write_index(const std::filesystem::path& dir, const IndexFiles& files);
// Reads and checks every file (io::FormatError / std::system_error).
IndexFiles read_index(const std::filesystem::path& dir);

}  // namespace veil::ann

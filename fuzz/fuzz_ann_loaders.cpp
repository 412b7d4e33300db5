// Fuzz target for the encrypted ANN index loaders (ann/index_files.h):
// load_params (ann.index), load_tables (ann.tables) and load_lists
// (ann.lists), the files the server reads from disk.
//
// Input: byte 0 picks the loader (bits 0-1: 0 params, 1 tables, 2 lists, 3
// params again); the rest is the envelope, loaded as given and again with its
// checksum repaired. io::FormatError is the expected rejection. Any other
// exception, a crash, or a broken invariant is a finding: whatever loads
// saves back to exactly the input and has the shape the index promises.
#include "fuzz_target.h"
#include "serialize_fuzz.h"
#include "veil/ann/index_files.h"
#include "veil/ann/tables.h"
#include "veil/io/errors.h"

using veil::fuzz::Bytes;
namespace ann = veil::ann;
namespace io = veil::io;

namespace {

// A small valid index: 8-d, one list, one sub-quantiser, G = 1 (one table
// block of 257 rows).
const ann::AnnParams& sample_params() {
  static const ann::AnnParams p = [] {
    ann::AnnParams a;
    for (std::size_t i = 0; i < a.index_id.size(); ++i)
      a.index_id[i] = static_cast<std::uint8_t>(i);
    for (std::size_t i = 0; i < a.key_id.bytes.size(); ++i)
      a.key_id.bytes[i] = static_cast<std::uint8_t>(0xa0 + i);
    a.dimension = 8;
    a.nlist = 1;
    a.m = 1;
    a.groups = 1;
    a.size = 5;
    a.query_bound = 2.5;
    a.centroid_bound = 1.5;
    a.codeword_bound = 0.5;
    a.scan = ann::table_scan_config(ann::make_table_layout(4096, a.dimension, a.groups));
    a.validate();
    return a;
  }();
  return p;
}

void load_checked(unsigned kind, bool, std::span<const std::uint8_t> in) {
  const ann::AnnParams& p = sample_params();
  try {
    switch (kind) {
      case 0:
      case 3: {
        const ann::AnnParams q = ann::load_params(in);
        q.validate();  // throws io::FormatError, never anything else
        VEIL_FUZZ_CHECK(veil::fuzz::same_bytes(ann::save_params(q), in));
        break;
      }
      case 1: {
        const auto blocks = ann::load_tables(p, in);
        VEIL_FUZZ_CHECK(blocks.size() == p.layout().blocks_for(p.table_rows()));
        for (const auto& b : blocks) VEIL_FUZZ_CHECK(b.size() == p.scan.block_words());
        VEIL_FUZZ_CHECK(veil::fuzz::same_bytes(ann::save_tables(p, blocks), in));
        break;
      }
      case 2: {
        const ann::SealedLists l = ann::load_lists(p, in);
        VEIL_FUZZ_CHECK(l.count() == p.nlist + 1);
        for (std::size_t i = 0; i < l.count(); ++i) {
          VEIL_FUZZ_CHECK(l.offsets[i] <= l.offsets[i + 1] && l.offsets[i + 1] <= l.bytes.size());
        }
        VEIL_FUZZ_CHECK(veil::fuzz::same_bytes(ann::save_lists(p, l), in));
        break;
      }
    }
  } catch (const io::FormatError&) {
  }
}

}  // namespace

namespace veil::fuzz {
std::vector<Bytes> seed_inputs() {
  const ann::AnnParams& p = sample_params();
  std::vector<veil::search::Words> blocks(p.layout().blocks_for(p.table_rows()));
  for (auto& b : blocks) {
    b.resize(p.scan.block_words());
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint32_t>(i * 2654435761u);
  }
  ann::SealedLists lists;
  lists.offsets = {0, 40, 64};
  for (std::size_t i = 0; i < 64; ++i) lists.bytes.push_back(static_cast<std::uint8_t>(i * 7));
  ann::AnnParams refining = p;  // version 2: refinement vectors
  refining.refine = true;
  refining.refine_bound = 3.0;
  return {
      with_selector(0, ann::save_params(p)),
      with_selector(3, ann::save_params(refining)),
      with_selector(1, ann::save_tables(p, blocks)),
      with_selector(2, ann::save_lists(p, lists)),
  };
}
}  // namespace veil::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return veil::fuzz::drive_selected(data, size, load_checked);
}

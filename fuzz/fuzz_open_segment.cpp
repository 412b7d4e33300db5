// Fuzz target for the store's file parsers: parse_manifest (manifest.json)
// and parse_segment_header / check_segment (segment files). Byte 0 picks the
// parser (even: manifest, odd: segment); the rest is the file. Segment inputs
// are also tried with their envelope checksum repaired, so that mutations
// reach the checks behind it. A StoreError is an expected outcome; a crash,
// another exception or a broken invariant (an accepted manifest that does not
// re-encode to the same configuration, an accepted segment whose size
// disagrees with its header) is a finding.

#include <string>
#include <vector>

#include "envelope_repair.h"
#include "fuzz_target.h"
#include "veil/io/envelope.h"
#include "veil/store/errors.h"
#include "veil/store/format.h"

namespace store = veil::store;
namespace io = veil::io;

namespace {

using Bytes = std::vector<std::uint8_t>;

store::StoreConfig fuzz_config() {
  store::StoreConfig c;
  c.param_id = 0x0123456789abcdefull;
  c.block_bytes = 64;
  c.slots_per_block = 4;
  c.search_config = {1, 2, 3};
  return c;
}

void try_segment(std::span<const std::uint8_t> in) {
  store::StoreConfig c = fuzz_config();
  try {
    store::SegmentHeader h = store::parse_segment_header(in, in.size(), c, "fuzz");
    VEIL_FUZZ_CHECK(in.size() == store::kSegmentDataOffset + h.block_count * c.block_bytes);
  } catch (const store::StoreError&) {
  }
  try {
    store::SegmentHeader h = store::check_segment(in, c, "fuzz");
    VEIL_FUZZ_CHECK(in.size() == store::kSegmentDataOffset + h.block_count * c.block_bytes);
    VEIL_FUZZ_CHECK(h.param_id == c.param_id);
    // An accepted segment is the canonical encoding of its blocks.
    std::vector<std::span<const std::uint8_t>> blocks;
    for (std::uint64_t i = 0; i < h.block_count; ++i) {
      blocks.push_back(in.subspan(store::kSegmentDataOffset + i * c.block_bytes, c.block_bytes));
    }
    VEIL_FUZZ_CHECK(store::encode_segment(c, h.seq, blocks) == Bytes(in.begin(), in.end()));
  } catch (const store::StoreError&) {
  }
}

Bytes with_selector(std::uint8_t sel, const Bytes& body) {
  Bytes b(body.size() + 1);
  b[0] = sel;
  for (std::size_t i = 0; i < body.size(); ++i) b[i + 1] = body[i];
  return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::span<const std::uint8_t> in(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    try {
      store::Manifest m = store::parse_manifest(in, "fuzz");
      store::Manifest again = store::parse_manifest(store::encode_manifest(m), "again");
      VEIL_FUZZ_CHECK(again.config == m.config && again.created == m.created);
    } catch (const store::StoreError&) {
    }
    return 0;
  }
  try_segment(in);
  const Bytes fixed = veil::fuzz::repair_checksum(in);
  if (!veil::fuzz::same_bytes(fixed, in)) try_segment(fixed);
  return 0;
}

namespace veil::fuzz {

std::vector<Bytes> seed_inputs() {
  std::vector<Bytes> seeds;
  store::StoreConfig c = fuzz_config();
  seeds.push_back(with_selector(0, store::encode_manifest({c, "2026-11-21T08:43:43Z"})));
  c.search_config.clear();
  c.param_id = 0;
  seeds.push_back(with_selector(2, store::encode_manifest({c, ""})));
  c = fuzz_config();
  for (std::size_t n : {0, 1, 3}) {
    std::vector<Bytes> data;
    for (std::size_t i = 0; i < n; ++i) data.push_back(Bytes(64, static_cast<std::uint8_t>(i + 1)));
    std::vector<std::span<const std::uint8_t>> blocks(data.begin(), data.end());
    seeds.push_back(with_selector(1, store::encode_segment(c, n + 1, blocks)));
  }
  return seeds;
}

}  // namespace veil::fuzz

// Fuzz target for the store's file parsers (format.h): parse_manifest
// (manifest.json), parse_segment_header / check_segment (segment files),
// parse_trailer (the segment trailer that lets the index be rebuilt) and
// parse_removal_log (removed.log). Byte 0 picks the parser (mod 4: manifest,
// segment, trailer, removal log); the rest is the file. Segments and trailers
// are also tried with their checksums repaired (the trailer's own, then the
// envelope's), so that mutations reach the checks behind them. A StoreError
// is an expected outcome; a crash, another exception or a broken invariant
// (an accepted manifest, trailer or segment that does not re-encode to the
// same bytes or configuration, a removal log whose record count does not
// add up) is a finding.

#include <sodium.h>

#include <cstring>
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
  for (std::size_t i = 0; i < io::KeyId::kSize; ++i) {
    c.key_id.bytes[i] = static_cast<std::uint8_t>(0xa0 + i);
  }
  return c;
}

std::uint64_t le64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

// `t` (a trailer, from its magic to the end) with its own checksum recomputed.
Bytes repair_trailer(std::span<const std::uint8_t> t) {
  Bytes fixed(t.begin(), t.end());
  if (fixed.size() < store::kTrailerHeaderSize) return fixed;
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 32);
  crypto_generichash_update(&st, fixed.data(), 48);
  crypto_generichash_update(&st, fixed.data() + store::kTrailerHeaderSize,
                            fixed.size() - store::kTrailerHeaderSize);
  crypto_generichash_final(&st, fixed.data() + 48, 32);
  return fixed;
}

void try_trailer(std::span<const std::uint8_t> in) {
  const store::StoreConfig c = fuzz_config();
  try {
    store::SegmentTrailer t = store::parse_trailer(in, c, "fuzz");
    VEIL_FUZZ_CHECK(t.key_id == c.key_id);
    for (const auto& b : t.blocks) {
      VEIL_FUZZ_CHECK(!b.slots.empty() && b.slots.size() <= c.slots_per_block);
    }
    // Canonical: the accepted trailer re-encodes to the input.
    VEIL_FUZZ_CHECK(store::encode_trailer(c, t.seq, t.blocks) == Bytes(in.begin(), in.end()));
    VEIL_FUZZ_CHECK(store::trailer_size(t.blocks) == in.size());
  } catch (const store::StoreError&) {
  }
  auto peek = store::peek_trailer(in);
  if (peek) VEIL_FUZZ_CHECK(in.size() >= store::kTrailerHeaderSize);
}

void try_segment(std::span<const std::uint8_t> in) {
  const store::StoreConfig c = fuzz_config();
  try {
    store::SegmentHeader h = store::parse_segment_header(in, in.size(), c, "fuzz");
    VEIL_FUZZ_CHECK(in.size() ==
                    store::kSegmentDataOffset + h.block_count * c.block_bytes + h.trailer_bytes);
    VEIL_FUZZ_CHECK(h.key_id == c.key_id);
  } catch (const store::StoreError&) {
  }
  try {
    store::SegmentContents s = store::check_segment(in, c, "fuzz");
    const store::SegmentHeader& h = s.header;
    VEIL_FUZZ_CHECK(in.size() ==
                    store::kSegmentDataOffset + h.block_count * c.block_bytes + h.trailer_bytes);
    VEIL_FUZZ_CHECK(h.param_id == c.param_id);
    VEIL_FUZZ_CHECK(s.trailer.blocks.size() == h.block_count && s.trailer.seq == h.seq);
    // An accepted segment is the canonical encoding of its blocks and trailer.
    std::vector<std::span<const std::uint8_t>> blocks;
    for (std::uint64_t i = 0; i < h.block_count; ++i) {
      blocks.push_back(in.subspan(store::kSegmentDataOffset + i * c.block_bytes, c.block_bytes));
    }
    VEIL_FUZZ_CHECK(store::encode_segment(c, h.seq, blocks, s.trailer.blocks) ==
                    Bytes(in.begin(), in.end()));
  } catch (const store::StoreError&) {
  }
}

// A segment with its trailer's checksum repaired (where the header says the
// trailer is), then its envelope checksum.
Bytes repair_segment(std::span<const std::uint8_t> in) {
  Bytes fixed(in.begin(), in.end());
  if (fixed.size() >= store::kSegmentDataOffset) {
    std::uint64_t tbytes = le64(fixed.data() + store::kSegmentTrailerBytesOffset);
    if (tbytes <= fixed.size() - store::kSegmentDataOffset) {
      std::size_t off = fixed.size() - static_cast<std::size_t>(tbytes);
      Bytes t = repair_trailer(std::span(fixed).subspan(off));
      if (!t.empty()) std::memcpy(fixed.data() + off, t.data(), t.size());
    }
  }
  return veil::fuzz::repair_checksum(fixed);
}

void try_removal_log(std::span<const std::uint8_t> in) {
  const store::StoreConfig c = fuzz_config();
  try {
    store::RemovalLog log = store::parse_removal_log(in, c.key_id, "fuzz");
    const std::size_t body = in.size() - store::kRemovalLogHeaderSize;
    VEIL_FUZZ_CHECK(log.records.size() + log.damaged.size() == body / store::kRemovalRecordSize);
    VEIL_FUZZ_CHECK(log.torn_tail_bytes == body % store::kRemovalRecordSize);
    for (const auto& r : log.records) VEIL_FUZZ_CHECK(r.block_id >= 0);
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
  if (sodium_init() < 0) return 0;
  std::span<const std::uint8_t> in(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      try {
        store::Manifest m = store::parse_manifest(in, "fuzz");
        store::Manifest again = store::parse_manifest(store::encode_manifest(m), "again");
        VEIL_FUZZ_CHECK(again.config == m.config && again.created == m.created);
      } catch (const store::StoreError&) {
      }
      break;
    case 1: {
      try_segment(in);
      const Bytes fixed = repair_segment(in);
      if (!veil::fuzz::same_bytes(fixed, in)) try_segment(fixed);
      break;
    }
    case 2: {
      try_trailer(in);
      const Bytes fixed = repair_trailer(in);
      if (!veil::fuzz::same_bytes(fixed, in)) try_trailer(fixed);
      break;
    }
    default:
      try_removal_log(in);
      break;
  }
  return 0;
}

namespace veil::fuzz {

std::vector<Bytes> seed_inputs() {
  std::vector<Bytes> seeds;
  store::StoreConfig c = fuzz_config();
  seeds.push_back(with_selector(0, store::encode_manifest({c, "2026-11-21T08:43:43Z"})));
  c.search_config.clear();
  c.param_id = 0;
  seeds.push_back(with_selector(4, store::encode_manifest({c, ""})));
  c = fuzz_config();
  for (std::size_t n : {0, 1, 3}) {
    std::vector<Bytes> data;
    std::vector<store::TrailerBlock> entries;
    for (std::size_t i = 0; i < n; ++i) {
      data.push_back(Bytes(64, static_cast<std::uint8_t>(i + 1)));
      store::TrailerBlock e;
      e.block_id = static_cast<std::int64_t>(10 + 2 * i);
      e.checksum = store::block_checksum(data.back());
      for (std::size_t k = 0; k <= i; ++k) {
        std::string id = "id" + std::to_string(i) + "-" + std::to_string(k);
        e.slots.push_back({id, k % 2 ? std::optional<std::string>("label") : std::nullopt});
      }
      entries.push_back(e);
    }
    std::vector<std::span<const std::uint8_t>> blocks(data.begin(), data.end());
    Bytes seg = store::encode_segment(c, n + 1, blocks, entries);
    seeds.push_back(with_selector(1, seg));
    seeds.push_back(with_selector(2, store::encode_trailer(c, n + 1, entries)));
  }
  auto h = store::encode_removal_log_header(c.key_id);
  Bytes log(h.begin(), h.end());
  seeds.push_back(with_selector(3, log));
  for (std::int64_t b : {0, 7, 1234567}) {
    auto r = store::encode_removal_record({b, static_cast<std::uint32_t>(b % 4)});
    log.insert(log.end(), r.begin(), r.end());
  }
  seeds.push_back(with_selector(3, log));
  return seeds;
}

}  // namespace veil::fuzz

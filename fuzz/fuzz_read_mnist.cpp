// Fuzz target for the MNIST idx parsers (parse_idx_images, parse_idx_labels,
// parse_mnist), raw and gzip. Byte 0 picks the entry point (bits 0-1: images,
// labels, or both) and a row limit (bits 2-3: all, 0, 1 or 2); for "both",
// bytes 1-2 (little-endian, modulo the rest's size) split the rest into the
// image file and the label file. Decoded size is capped at 1 MiB per file so
// a gzip bomb costs little. A FormatError is an expected outcome; a crash,
// another exception or a broken invariant (sizes disagreeing with the
// header fields, more items than the limit, a raw file read whole that does
// not re-encode to its own bytes) is a finding.
#include <cstring>
#include <vector>

#include "fuzz_target.h"
#include "veil/data/mnist.h"
#include "veil/io/errors.h"

using veil::io::FormatError;
namespace data = veil::data;

namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr std::uint64_t kMaxDecoded = std::uint64_t{1} << 20;

bool is_gzip(std::span<const std::uint8_t> b) {
  return b.size() >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

void check_images(const data::ImageSet& s, std::uint64_t max_items) {
  VEIL_FUZZ_CHECK(s.count <= max_items);
  VEIL_FUZZ_CHECK(s.rows > 0 && s.cols > 0);
  VEIL_FUZZ_CHECK(s.pixels.size() == s.count * s.rows * s.cols);
  VEIL_FUZZ_CHECK(16 + s.pixels.size() <= kMaxDecoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int mode = data[0] & 3;
  const int limit = (data[0] >> 2) & 3;
  const std::uint64_t max_items =
      limit == 0 ? data::kAllRows : static_cast<std::uint64_t>(limit - 1);
  std::span<const std::uint8_t> in(data + 1, size - 1);
  try {
    if (mode == 0) {
      data::ImageSet s = data::parse_idx_images(in, "fuzz", max_items, kMaxDecoded);
      check_images(s, max_items);
      VEIL_FUZZ_CHECK(s.labels.empty());
      if (limit == 0 && !is_gzip(in)) {
        VEIL_FUZZ_CHECK(data::encode_idx_images(s) == Bytes(in.begin(), in.end()));
      }
    } else if (mode == 1) {
      data::ImageSet s = data::parse_idx_labels(in, "fuzz", max_items, kMaxDecoded);
      VEIL_FUZZ_CHECK(s.count <= max_items && s.labels.size() == s.count && s.pixels.empty());
      if (limit == 0 && !is_gzip(in)) {
        VEIL_FUZZ_CHECK(data::encode_idx_labels(s) == Bytes(in.begin(), in.end()));
      }
    } else {
      if (in.size() < 2) return 0;
      std::size_t split = (static_cast<std::size_t>(in[0]) | std::size_t{in[1]} << 8);
      std::span<const std::uint8_t> rest = in.subspan(2);
      split = rest.empty() ? 0 : split % (rest.size() + 1);
      data::ImageSet s = data::parse_mnist(rest.first(split), rest.subspan(split), "fuzz-images",
                                           "fuzz-labels", max_items, kMaxDecoded);
      check_images(s, max_items);
      VEIL_FUZZ_CHECK(s.labels.size() == s.count);
    }
  } catch (const FormatError&) {
  }
  return 0;
}

namespace veil::fuzz {

std::vector<Bytes> seed_inputs() {
  std::vector<Bytes> seeds;
  for (std::size_t count : {0u, 1u, 3u}) {
    data::ImageSet s;
    s.count = count;
    s.rows = 2;
    s.cols = 3;
    for (std::size_t i = 0; i < count * 6; ++i)
      s.pixels.push_back(static_cast<std::uint8_t>(i * 9));
    for (std::size_t i = 0; i < count; ++i) s.labels.push_back(static_cast<std::uint8_t>(i));
    const Bytes im = data::encode_idx_images(s), lb = data::encode_idx_labels(s);
    for (bool zip : {false, true}) {
      const Bytes i2 = zip ? data::gzip_bytes(im) : im;
      const Bytes l2 = zip ? data::gzip_bytes(lb) : lb;
      for (std::uint8_t lim : {0, 8}) {
        Bytes a = {lim};
        a.insert(a.end(), i2.begin(), i2.end());
        seeds.push_back(a);
        Bytes b = {static_cast<std::uint8_t>(lim | 1)};
        b.insert(b.end(), l2.begin(), l2.end());
        seeds.push_back(b);
        Bytes c = {static_cast<std::uint8_t>(lim | 2), static_cast<std::uint8_t>(i2.size()),
                   static_cast<std::uint8_t>(i2.size() >> 8)};
        c.insert(c.end(), i2.begin(), i2.end());
        c.insert(c.end(), l2.begin(), l2.end());
        seeds.push_back(c);
      }
    }
  }
  return seeds;
}

}  // namespace veil::fuzz

// Fuzz target for the texmex parsers (parse_fvecs, parse_bvecs, parse_ivecs).
// Byte 0 picks the format (bits 0-1) and a row limit (bits 2-3: all rows, 0,
// 1 or 2); the rest is the file. A FormatError is an expected outcome; a
// crash, another exception or a broken invariant (size disagreeing with the
// shape, or a file read whole that does not re-encode to its own bytes) is a
// finding.
#include <cstring>
#include <vector>

#include "fuzz_target.h"
#include "veil/data/vecs.h"
#include "veil/io/errors.h"

using veil::io::FormatError;
namespace data = veil::data;

namespace {
using Bytes = std::vector<std::uint8_t>;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  int format = data[0] & 3;
  int limit = (data[0] >> 2) & 3;
  std::uint64_t max_rows = limit == 0 ? data::kAllRows : static_cast<std::uint64_t>(limit - 1);
  std::span<const std::uint8_t> in(data + 1, size - 1);
  try {
    if (format == 2) {
      data::IntMatrix m = data::parse_ivecs(in, "fuzz", max_rows);
      VEIL_FUZZ_CHECK(m.values.size() == m.rows * m.cols && m.rows <= max_rows);
      if (limit == 0) VEIL_FUZZ_CHECK(data::encode_ivecs(m) == Bytes(in.begin(), in.end()));
    } else {
      data::Matrix m = format == 1 ? data::parse_bvecs(in, "fuzz", max_rows)
                                   : data::parse_fvecs(in, "fuzz", max_rows);
      VEIL_FUZZ_CHECK(m.values.size() == m.rows * m.cols && m.rows <= max_rows);
      if (limit == 0) {
        Bytes again = format == 1 ? data::encode_bvecs(m) : data::encode_fvecs(m);
        VEIL_FUZZ_CHECK(again == Bytes(in.begin(), in.end()));
      }
    }
  } catch (const FormatError&) {
  }
  return 0;
}

namespace veil::fuzz {

std::vector<Bytes> seed_inputs() {
  std::vector<Bytes> seeds;
  data::Matrix m;
  m.rows = 3;
  m.cols = 4;
  for (int i = 0; i < 12; ++i) m.values.push_back(static_cast<float>(i * 20));
  data::IntMatrix im;
  im.rows = 2;
  im.cols = 3;
  im.values = {0, 1, -2, 300, 4, 5};
  for (std::uint8_t sel : {0, 4, 8, 12}) {
    Bytes f = data::encode_fvecs(m);
    f.insert(f.begin(), sel);
    seeds.push_back(f);
    Bytes b = data::encode_bvecs(m);
    b.insert(b.begin(), static_cast<std::uint8_t>(sel | 1));
    seeds.push_back(b);
    Bytes i = data::encode_ivecs(im);
    i.insert(i.begin(), static_cast<std::uint8_t>(sel | 2));
    seeds.push_back(i);
  }
  return seeds;
}

}  // namespace veil::fuzz

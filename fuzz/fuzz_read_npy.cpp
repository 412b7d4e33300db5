// Fuzz target for the .npy parsers (parse_npy, parse_npy_labels,
// parse_npy_strings). The input is the file's bytes. A FormatError is an
// expected outcome; a crash, another exception or a broken invariant (a
// matrix whose size disagrees with its shape, a float file that does not
// re-encode to the same values) is a finding.
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_target.h"
#include "veil/data/npy.h"
#include "veil/io/errors.h"

using veil::io::FormatError;
namespace data = veil::data;

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes npy(const std::string& dict, const Bytes& payload, int version = 1) {
  std::string h = dict + "\n";
  Bytes out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<std::uint8_t>(version), 0};
  out.push_back(static_cast<std::uint8_t>(h.size()));
  out.push_back(static_cast<std::uint8_t>(h.size() >> 8));
  if (version > 1) out.insert(out.end(), {0, 0});
  out.insert(out.end(), h.begin(), h.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> in(data, size);
  try {
    data::NpyHeader h = data::parse_npy_header(in, "fuzz");
    VEIL_FUZZ_CHECK(h.data_offset <= size);
  } catch (const FormatError&) {
  }
  for (std::uint64_t max_rows : {data::kAllRows, std::uint64_t{1}}) {
    try {
      data::Matrix m = data::parse_npy(in, "fuzz", max_rows);
      VEIL_FUZZ_CHECK(m.values.size() == m.rows * m.cols);
      VEIL_FUZZ_CHECK(m.rows <= max_rows);
      // Whatever was read re-encodes and reads back to the same values.
      data::Matrix again = data::parse_npy(data::encode_npy(m));
      VEIL_FUZZ_CHECK(again.rows == m.rows && again.cols == m.cols);
      VEIL_FUZZ_CHECK(again.values.empty() ||
                      std::memcmp(again.values.data(), m.values.data(), m.values.size() * 4) == 0);
    } catch (const FormatError&) {
    }
  }
  try {
    std::vector<std::int64_t> labels = data::parse_npy_labels(in, "fuzz");
    VEIL_FUZZ_CHECK(labels.size() <= size);
  } catch (const FormatError&) {
  }
  try {
    std::vector<std::string> s = data::parse_npy_strings(in, "fuzz");
    VEIL_FUZZ_CHECK(s.size() <= size);
  } catch (const FormatError&) {
  }
  return 0;
}

namespace veil::fuzz {

std::vector<Bytes> seed_inputs() {
  std::vector<Bytes> seeds;
  for (auto [r, c] : {std::pair{0, 3}, {1, 1}, {2, 3}, {4, 5}}) {
    data::Matrix m;
    m.rows = static_cast<std::size_t>(r);
    m.cols = static_cast<std::size_t>(c);
    for (int i = 0; i < r * c; ++i) m.values.push_back(static_cast<float>(i) * 0.5f - 1);
    seeds.push_back(data::encode_npy(m));
  }
  Bytes f8(16);
  f8[6] = 0xf0;
  f8[7] = 0x3f;  // 1.0
  seeds.push_back(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", f8, 2));
  seeds.push_back(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }", {1, 2, 3, 4}));
  seeds.push_back(npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }",
                      {1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}));
  seeds.push_back(
      npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }", Bytes(8, 7), 3));
  seeds.push_back(npy("{'descr': '<U2', 'fortran_order': False, 'shape': (2,), }",
                      {'a', 0, 0, 0, 'b', 0, 0, 0, 0xe9, 0, 0, 0, 0, 0, 0, 0}));
  return seeds;
}

}  // namespace veil::fuzz

// Fuzz target for the text parsers (parse_csv, parse_labels_txt). Byte 0
// picks the CSV options (bit 0: id column; bit 1: at most 2 rows); the rest
// is the text. A FormatError is an expected outcome; a crash, another
// exception or a broken invariant (sizes disagreeing with the shape, ids not
// one per row, a non-finite value) is a finding.
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_target.h"
#include "veil/data/text.h"
#include "veil/io/errors.h"

using veil::io::FormatError;
namespace data = veil::data;

namespace {
using Bytes = std::vector<std::uint8_t>;

Bytes with_selector(std::uint8_t sel, const std::string& text) {
  Bytes b(text.size() + 1);
  b[0] = sel;
  for (std::size_t i = 0; i < text.size(); ++i) b[i + 1] = static_cast<std::uint8_t>(text[i]);
  return b;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  data::CsvOptions opt;
  opt.id_column = (data[0] & 1) != 0;
  if (data[0] & 2) opt.max_rows = 2;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    data::CsvData d = data::parse_csv(text, "fuzz", opt);
    VEIL_FUZZ_CHECK(d.matrix.values.size() == d.matrix.rows * d.matrix.cols);
    VEIL_FUZZ_CHECK(d.matrix.rows <= opt.max_rows);
    VEIL_FUZZ_CHECK(opt.id_column ? d.ids.size() == d.matrix.rows : d.ids.empty());
    for (float v : d.matrix.values) VEIL_FUZZ_CHECK(std::isfinite(v));
  } catch (const FormatError&) {
  }
  try {
    std::vector<std::string> labels = data::parse_labels_txt(text, "fuzz");
    for (const auto& l : labels) VEIL_FUZZ_CHECK(!l.empty() && l.find('\n') == std::string::npos);
  } catch (const FormatError&) {
  }
  return 0;
}

namespace veil::fuzz {

std::vector<Bytes> seed_inputs() {
  return {
      with_selector(0, "1,2,3\n4,5,6\n"),
      with_selector(0, "a,b\n1.5,-2e3\n+3,4\r\n\n"),
      with_selector(1, "id,x,y\n\"p1\",0.25,1\np2,3,4\n"),
      with_selector(3, "k,1,2\nl,3,4\nm,5,6\n"),
      with_selector(2, "alice\nbob\r\ncarol"),
  };
}

}  // namespace veil::fuzz

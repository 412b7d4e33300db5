// Fuzz target for the reduction model loader (reduce::load_model).
//
// The input is the model file. It is loaded as given and again with its
// envelope checksum repaired, so that mutations reach the model's own field
// checks. io::FormatError is the expected rejection. Any other exception, a
// crash, or a broken invariant is a finding: a loaded model saves back to
// exactly the input, loads again when its own dimensions are expected and is
// refused for others, and applies to a row with outputs of its dimension.
#include <string>
#include <vector>

#include "fuzz_target.h"
#include "serialize_fuzz.h"
#include "veil/io/errors.h"
#include "veil/reduce/deep_mds.h"
#include "veil/reduce/model.h"
#include "veil/reduce/pca.h"

using veil::fuzz::Bytes;
namespace reduce = veil::reduce;
namespace data = veil::data;

namespace {

void load_checked(std::span<const std::uint8_t> in) {
  std::unique_ptr<reduce::Reducer> m;
  try {
    m = reduce::load_model(in, "fuzz");
  } catch (const veil::io::FormatError& e) {
    VEIL_FUZZ_CHECK(std::string(e.what()).rfind("fuzz: ", 0) == 0);
    return;
  }
  const std::size_t d = m->input_dim(), k = m->output_dim();
  VEIL_FUZZ_CHECK(d >= 1 && d <= 65536 && k >= 1 && k <= 65536);
  VEIL_FUZZ_CHECK(veil::fuzz::same_bytes(reduce::save_model(*m), in));
  VEIL_FUZZ_CHECK(!m->describe().empty());
  VEIL_FUZZ_CHECK(reduce::load_model(in, "fuzz", d, k)->output_dim() == k);
  try {
    reduce::load_model(in, "fuzz", d + 1, k);
    VEIL_FUZZ_CHECK(!"a model loaded for another input dimension");
  } catch (const veil::io::FormatError& e) {
    VEIL_FUZZ_CHECK(std::string(e.what()).find("model maps") != std::string::npos);
  }
  data::Matrix x{1, d, std::vector<float>(d, 0.5f)};
  const data::Matrix y = m->apply(x);
  VEIL_FUZZ_CHECK(y.rows == 1 && y.cols == k && y.values.size() == k);
}

// Fixed small values in [-1, 1], so the seeds are the same on every run.
std::vector<float> values(std::size_t n, std::size_t salt) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = static_cast<float>(static_cast<int>((i * 37 + salt * 11) % 17) - 8) / 8;
  return v;
}

reduce::DenseLayer dense(std::size_t in, std::size_t out, std::size_t salt) {
  return reduce::DenseLayer{in, out, values(in * out, salt), values(out, salt + 1)};
}

reduce::DeepMdsModel deep_mds(std::size_t in, const std::vector<std::size_t>& dims,
                              std::size_t blocks) {
  std::vector<reduce::MdsStage> stages;
  std::size_t salt = 0;
  for (std::size_t out : dims) {
    reduce::MdsStage st;
    st.skip = dense(in, out, ++salt);
    st.fc1 = dense(in, out, ++salt);
    st.slopes = std::vector<float>(out, 0.25f);
    st.fc2 = dense(out, out, ++salt);
    for (std::size_t b = 0; b < blocks; ++b)
      st.blocks.push_back(
          {dense(out, out, ++salt), std::vector<float>(out, 0.1f), dense(out, out, ++salt)});
    stages.push_back(std::move(st));
    in = out;
  }
  return reduce::DeepMdsModel(std::move(stages));
}

}  // namespace

namespace veil::fuzz {
std::vector<Bytes> seed_inputs() {
  const data::Matrix x{8, 6, values(48, 5)};
  return {
      reduce::save_model(reduce::PcaModel::fit(x, 3)),
      reduce::save_model(
          reduce::PcaModel::fit(x, 6, {.center = false, .normalize_input_rows = false})),
      reduce::save_model(deep_mds(6, {3, 2}, 1)),
      reduce::save_model(deep_mds(3, {3}, 0)),
  };
}
}  // namespace veil::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> in(data, size);
  load_checked(in);
  const Bytes fixed = veil::fuzz::repair_checksum(in);
  if (!veil::fuzz::same_bytes(fixed, in)) load_checked(fixed);
  return 0;
}

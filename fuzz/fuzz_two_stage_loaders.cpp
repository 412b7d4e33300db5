// Fuzz target for the two-stage loaders: load_two_stage_config (a store's
// search configuration), load_candidate_request (server side) and
// load_candidate_rows (key holder side).
//
// Input: byte 0 picks the loader (bits 0-1: 0 config, 1 request, 2 rows, 3
// config again); the rest is the envelope, loaded as given and again with its
// checksum repaired. io::FormatError is the expected rejection. Any other
// exception, a crash, or a broken invariant is a finding: whatever loads
// saves back to exactly the input and satisfies the loader's promises.
#include <algorithm>
#include <set>

#include "fuzz_target.h"
#include "serialize_fuzz.h"
#include "veil/io/errors.h"
#include "veil/reduce/pca.h"
#include "veil/reduce/two_stage_config.h"
#include "veil/search/enroll.h"
#include "veil/search/rerank_wire.h"

using veil::fuzz::Bytes;
namespace io = veil::io;
namespace reduce = veil::reduce;
namespace search = veil::search;

namespace {

constexpr std::uint64_t kParamId = 0x5eed00001234abcdull;
constexpr std::uint64_t kGallerySlots = 100;
const search::RowLayout kRows{50, 6};
const std::vector<std::uint64_t> kRequested = {0, 7, 99};

const reduce::TwoStageConfig& sample_config() {
  static const reduce::TwoStageConfig c = [] {
    veil::data::Matrix x{8, 6, {}};
    for (std::size_t i = 0; i < 48; ++i) x.values.push_back(static_cast<float>((i * 37) % 17) - 8);
    const auto coarse = search::SearchConfig::derive({.dimension = 3});
    return reduce::make_two_stage_config(coarse, reduce::PcaModel::fit(x, 3));
  }();
  return c;
}

// Selector byte, then the envelope (built with reserve: GCC 12 warns about
// the initializer-list form inlined here).
Bytes seed(std::uint8_t selector, const Bytes& envelope) {
  Bytes out;
  out.reserve(envelope.size() + 1);
  out.push_back(selector);
  out.insert(out.end(), envelope.begin(), envelope.end());
  return out;
}

std::uint64_t param_id_of(std::span<const std::uint8_t> in) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | in[io::kEnvelopeParamIdOffset + i];
  return v;
}

void load_checked(unsigned kind, bool, std::span<const std::uint8_t> in) {
  try {
    switch (kind) {
      case 0:
      case 3: {
        const reduce::TwoStageConfig c = reduce::load_two_stage_config(in);
        VEIL_FUZZ_CHECK(c.layout.coarse.gallery == search::Encryption::kSecretKey);
        VEIL_FUZZ_CHECK(c.layout.rows.dimension >= c.layout.coarse.dimension);
        VEIL_FUZZ_CHECK(c.layout.rows.n == c.layout.coarse.n);
        VEIL_FUZZ_CHECK(
            veil::fuzz::same_bytes(reduce::save_two_stage_config(c, param_id_of(in)), in));
        break;
      }
      case 1: {
        const auto slots = search::load_candidate_request(in, kParamId, kGallerySlots);
        VEIL_FUZZ_CHECK(std::all_of(slots.begin(), slots.end(),
                                    [](std::uint64_t s) { return s < kGallerySlots; }));
        VEIL_FUZZ_CHECK(std::set<std::uint64_t>(slots.begin(), slots.end()).size() == slots.size());
        VEIL_FUZZ_CHECK(
            veil::fuzz::same_bytes(search::save_candidate_request(kParamId, slots), in));
        break;
      }
      case 2: {
        const search::CandidateRows c =
            search::load_candidate_rows(in, kParamId, kRows, kRequested);
        VEIL_FUZZ_CHECK(c.dimension == kRows.dimension && c.index == kRequested);
        VEIL_FUZZ_CHECK(c.rows.size() == kRequested.size() * kRows.dimension);
        VEIL_FUZZ_CHECK(veil::fuzz::same_bytes(search::save_candidate_rows(kParamId, c), in));
        break;
      }
    }
  } catch (const io::FormatError&) {
  }
}

}  // namespace

namespace veil::fuzz {
std::vector<Bytes> seed_inputs() {
  const reduce::TwoStageConfig& c = sample_config();
  const std::uint64_t id = rlwe::Parameters::create(c.layout.coarse.parameter_literal())->id();
  search::CandidateRows rows;
  rows.dimension = kRows.dimension;
  rows.index = kRequested;
  rows.nonces.assign(kRequested.size() * search::kRowNonceBytes, 0x5a);
  for (std::size_t i = 0; i < kRequested.size() * kRows.dimension; ++i)
    rows.rows.push_back(static_cast<std::uint8_t>(i * 13));
  return {
      seed(0, reduce::save_two_stage_config(c, id)),
      seed(1, search::save_candidate_request(kParamId, kRequested)),
      seed(1, search::save_candidate_request(kParamId, {})),
      seed(2, search::save_candidate_rows(kParamId, rows)),
  };
}
}  // namespace veil::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return veil::fuzz::drive_selected(data, size, load_checked);
}

// Fuzz target for load_parameters (serialize.h).
//
// The input is an envelope. It is loaded as given and with its checksum
// repaired (so that mutated payloads reach the parser and
// rlwe::Parameters::create), each time without and with the insecure opt-out.
// FormatError and rlwe::ParameterError (a set that Parameters::create refuses)
// are the expected rejections. Any other exception, a crash, or a broken
// invariant is a finding: a loaded set has the envelope's id, saves back to
// exactly the input, is 128-bit secure unless the opt-out was given, and (when
// small) builds a working context.
#include "fuzz_target.h"
#include "serialize_fuzz.h"
#include "veil/io/errors.h"
#include "veil/rlwe/errors.h"

using veil::fuzz::Bytes;
namespace io = veil::io;
namespace rlwe = veil::rlwe;

namespace {

void load_checked(std::span<const std::uint8_t> in, bool opt_out) {
  std::shared_ptr<const rlwe::Parameters> p;
  try {
    p = io::load_parameters(in, opt_out ? veil::fuzz::kOptOut : "");
  } catch (const io::FormatError&) {
    return;
  } catch (const rlwe::ParameterError&) {
    return;
  }
  VEIL_FUZZ_CHECK(p != nullptr);
  VEIL_FUZZ_CHECK(opt_out || p->secure_128());
  std::uint64_t id = 0;
  for (int i = 0; i < 8; ++i) {
    id |= static_cast<std::uint64_t>(in[io::kEnvelopeParamIdOffset + i]) << (8 * i);
  }
  VEIL_FUZZ_CHECK(p->id() == id);
  VEIL_FUZZ_CHECK(veil::fuzz::same_bytes(io::save_parameters(*p), in));
  // The literal reproduces the same set.
  auto lit = p->literal();
  lit.insecure_opt_out_for_test = veil::fuzz::kOptOut;
  VEIL_FUZZ_CHECK(rlwe::Parameters::create(lit)->id() == p->id());
  if (p->n() <= 64 && p->q().size() <= 4) (void)rlwe::Context::create(p);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> in(data, size);
  const Bytes fixed = veil::fuzz::repair_checksum(in);
  for (bool opt_out : {false, true}) {
    load_checked(in, opt_out);
    if (!veil::fuzz::same_bytes(fixed, in)) load_checked(fixed, opt_out);
  }
  return 0;
}

namespace veil::fuzz {

std::vector<Bytes> seed_inputs() {
  std::vector<Bytes> seeds;
  seeds.push_back(io::save_parameters(small_context(false)->params()));
  seeds.push_back(io::save_parameters(small_context(true)->params()));
  struct Set {
    rlwe::Scheme scheme;
    std::size_t n;
    std::vector<int> q_bits;
    int p_bits;
    std::uint64_t t;
  };
  for (const Set& s : {Set{rlwe::Scheme::kCkks, 4096, {36, 36}, 37, 0},
                       Set{rlwe::Scheme::kBgv, 4096, {36, 36}, 37, 65537},
                       Set{rlwe::Scheme::kCkks, 8192, {60, 40, 40}, 60, 0},
                       Set{rlwe::Scheme::kCkks, 32, {20}, 20, 0}}) {
    rlwe::ParameterLiteral lit;
    lit.scheme = s.scheme;
    lit.n = s.n;
    lit.q_bits = s.q_bits;
    lit.p_bits = s.p_bits;
    lit.t = s.t;
    lit.insecure_opt_out_for_test = kOptOut;
    seeds.push_back(io::save_parameters(*rlwe::Parameters::create(lit)));
  }
  return seeds;
}

}  // namespace veil::fuzz

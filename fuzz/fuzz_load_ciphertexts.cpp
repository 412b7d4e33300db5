// Fuzz target for load_plaintext, load_ciphertext and load_seeded_ciphertext
// (serialize.h).
//
// Input: byte 0 picks the loader (bits 0-1: plaintext, ciphertext, seeded;
// 3 = all three) and the context (bit 2, see serialize_fuzz.h); the rest is
// the envelope. Each input is loaded as given and again with its checksum
// repaired, so that mutations reach the payload parser. FormatError is the
// expected rejection. Any other exception, a crash, or a broken invariant is a
// finding: a loaded object must save back to exactly the input (one encoding
// per object) and must be usable (decrypt, expand, multiply by a plaintext).
#include <cmath>

#include "fuzz_target.h"
#include "serialize_fuzz.h"
#include "veil/io/errors.h"
#include "veil/rlwe/encryptor.h"
#include "veil/rlwe/evaluator.h"

using veil::fuzz::Bytes;
namespace io = veil::io;
namespace rlwe = veil::rlwe;

namespace {

// What every loaded plaintext or ciphertext promises.
void check_header(const rlwe::Context& ctx, std::uint64_t param_id, std::size_t level,
                  double scale) {
  VEIL_FUZZ_CHECK(param_id == ctx.id());
  VEIL_FUZZ_CHECK(level <= ctx.max_level());
  VEIL_FUZZ_CHECK(std::isfinite(scale) && scale > 0);
  VEIL_FUZZ_CHECK(ctx.scheme() != rlwe::Scheme::kBgv || scale == 1.0);
}

void load_checked(unsigned kind, bool bgv, std::span<const std::uint8_t> in) {
  const rlwe::ContextPtr& ctx_ptr = veil::fuzz::small_context(bgv);
  const rlwe::Context& ctx = *ctx_ptr;
  const rlwe::Decryptor dec(ctx_ptr, veil::fuzz::context_secret_key(bgv));
  try {
    switch (kind) {
      case 0: {
        auto pt = io::load_plaintext(ctx, in);
        check_header(ctx, pt.param_id, pt.level, pt.scale);
        VEIL_FUZZ_CHECK(veil::fuzz::same_bytes(io::save(ctx, pt), in));
        rlwe::Ciphertext out;
        rlwe::Evaluator(ctx_ptr).multiply_plain(veil::fuzz::fixed_ciphertext(ctx, pt.level, 2, 3),
                                                pt, out);
        break;
      }
      case 1: {
        auto ct = io::load_ciphertext(ctx, in);
        check_header(ctx, ct.param_id, ct.level, ct.scale);
        VEIL_FUZZ_CHECK(ct.size() >= 1 && ct.size() <= io::kMaxCiphertextSize);
        VEIL_FUZZ_CHECK(veil::fuzz::same_bytes(io::save(ctx, ct), in));
        (void)dec.decrypt(ct);
        break;
      }
      default: {
        auto sct = io::load_seeded_ciphertext(ctx, in);
        check_header(ctx, sct.param_id, sct.level, sct.scale);
        VEIL_FUZZ_CHECK(veil::fuzz::same_bytes(io::save(ctx, sct), in));
        (void)dec.decrypt(rlwe::expand_seeded(ctx, sct));
        break;
      }
    }
  } catch (const io::FormatError&) {
  }
}

void load_all(unsigned kind, bool bgv, std::span<const std::uint8_t> in) {
  if (kind == 3) {
    for (unsigned k = 0; k < 3; ++k) load_checked(k, bgv, in);
  } else {
    load_checked(kind, bgv, in);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return veil::fuzz::drive_selected(
      data, size, [](unsigned kind, bool bgv, auto in) { load_all(kind, bgv, in); });
}

namespace veil::fuzz {

std::vector<Bytes> seed_inputs() {
  std::vector<Bytes> seeds;
  for (bool bgv : {false, true}) {
    const rlwe::Context& ctx = *small_context(bgv);
    const auto ctx_bit = static_cast<std::uint8_t>(bgv ? 4 : 0);
    for (std::size_t level = 0; level <= ctx.max_level(); ++level) {
      rlwe::Plaintext pt;
      pt.param_id = ctx.id();
      pt.level = level;
      pt.scale = bgv ? 1.0 : 0x1p25;
      pt.poly = fixed_poly(ctx.basis_q(level), 100 + level);
      seeds.push_back(with_selector(ctx_bit | 0, io::save(ctx, pt)));

      for (std::size_t size : {1, 2, 3}) {
        auto ct = fixed_ciphertext(ctx, level, size, 200 + 10 * level + size);
        seeds.push_back(with_selector(ctx_bit | 1, io::save(ctx, ct)));
      }

      rlwe::SeededCiphertext sct;
      sct.param_id = ctx.id();
      sct.level = level;
      sct.scale = bgv ? 1.0 : 1e6;
      sct.c0 = fixed_poly(ctx.basis_q(level), 300 + level);
      for (std::size_t i = 0; i < sct.seed.size(); ++i) {
        sct.seed[i] = static_cast<std::uint8_t>(i * 29 + level);
      }
      seeds.push_back(with_selector(ctx_bit | 2, io::save(ctx, sct)));
    }
  }
  return seeds;
}

}  // namespace veil::fuzz

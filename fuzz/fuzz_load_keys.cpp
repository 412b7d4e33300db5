// Fuzz target for the key loaders: load_secret_key, load_public_key,
// load_relin_key and load_galois_keys (serialize.h).
//
// Input: byte 0 picks the loader (bits 0-1) and the context (bit 2, see
// serialize_fuzz.h); the rest is the envelope. Each input is loaded as given
// and again with its checksum repaired, so that mutations reach the payload
// parser. FormatError is the expected rejection. Any other exception, a crash,
// or a broken invariant is a finding: a loaded key must save back to exactly
// the input (one encoding per key) and must be usable by the operations that
// take it.
#include "fuzz_target.h"
#include "serialize_fuzz.h"
#include "veil/io/errors.h"
#include "veil/rlwe/encryptor.h"
#include "veil/rlwe/evaluator.h"

using veil::fuzz::Bytes;
namespace io = veil::io;
namespace rlwe = veil::rlwe;

namespace {

void load_checked(unsigned kind, bool bgv, std::span<const std::uint8_t> in) {
  const rlwe::ContextPtr& ctx_ptr = veil::fuzz::small_context(bgv);
  const rlwe::Context& ctx = *ctx_ptr;
  const auto top = veil::fuzz::fixed_ciphertext(ctx, ctx.max_level(), 2, 7);
  try {
    switch (kind) {
      case 0: {
        auto sk = io::load_secret_key(ctx, in);
        VEIL_FUZZ_CHECK(sk.param_id == ctx.id());
        VEIL_FUZZ_CHECK(veil::fuzz::same_bytes(io::save(ctx, sk), in));
        (void)rlwe::Decryptor(ctx_ptr, sk).decrypt(top);
        break;
      }
      case 1: {
        auto pk = io::load_public_key(ctx, in);
        VEIL_FUZZ_CHECK(pk.param_id == ctx.id());
        VEIL_FUZZ_CHECK(veil::fuzz::same_bytes(io::save(ctx, pk), in));
        rlwe::Plaintext pt;
        pt.param_id = ctx.id();
        pt.level = ctx.max_level();
        pt.scale = top.scale;
        pt.poly = top.polys[0];
        (void)rlwe::Encryptor(ctx_ptr, pk).encrypt(pt);
        break;
      }
      case 2: {
        auto rk = io::load_relin_key(ctx, in);
        VEIL_FUZZ_CHECK(rk.key.param_id == ctx.id());
        VEIL_FUZZ_CHECK(rk.key.parts() == ctx.max_level() + 1);
        VEIL_FUZZ_CHECK(veil::fuzz::same_bytes(io::save(ctx, rk), in));
        rlwe::Ciphertext out;
        rlwe::Evaluator(ctx_ptr).relinearize(veil::fuzz::fixed_ciphertext(ctx, 0, 3, 9), rk, out);
        break;
      }
      default: {
        auto gk = io::load_galois_keys(ctx, in);
        VEIL_FUZZ_CHECK(gk.param_id == ctx.id());
        VEIL_FUZZ_CHECK(gk.keys.size() <= ctx.n());
        VEIL_FUZZ_CHECK(veil::fuzz::same_bytes(io::save(ctx, gk), in));
        rlwe::Evaluator ev(ctx_ptr);
        for (const auto& [elt, key] : gk.keys) {
          VEIL_FUZZ_CHECK(elt % 2 == 1 && elt < 2 * ctx.n());
          VEIL_FUZZ_CHECK(key.param_id == ctx.id() && key.parts() == ctx.max_level() + 1);
          rlwe::Ciphertext out;
          ev.apply_galois(top, elt, gk, out);
        }
        break;
      }
    }
  } catch (const io::FormatError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return veil::fuzz::drive_selected(
      data, size, [](unsigned kind, bool bgv, auto in) { load_checked(kind, bgv, in); });
}

namespace veil::fuzz {

std::vector<Bytes> seed_inputs() {
  std::vector<Bytes> seeds;
  for (bool bgv : {false, true}) {
    const rlwe::Context& ctx = *small_context(bgv);
    const auto ctx_bit = static_cast<std::uint8_t>(bgv ? 4 : 0);

    rlwe::SecretKey sk;
    sk.param_id = ctx.id();
    sk.s = fixed_poly(ctx.key_basis(), 1);
    seeds.push_back(with_selector(ctx_bit | 0, io::save(ctx, sk)));

    rlwe::PublicKey pk;
    pk.param_id = ctx.id();
    pk.b = fixed_poly(ctx.basis_q(ctx.max_level()), 2);
    pk.a = fixed_poly(ctx.basis_q(ctx.max_level()), 3);
    seeds.push_back(with_selector(ctx_bit | 1, io::save(ctx, pk)));

    seeds.push_back(with_selector(ctx_bit | 2, io::save(ctx, rlwe::RelinKey{fixed_ksk(ctx, 10)})));

    const std::uint64_t two_n = 2 * ctx.n();
    for (const std::vector<std::uint64_t>& elts :
         {std::vector<std::uint64_t>{}, {3}, {1, 5, two_n - 1}}) {
      rlwe::GaloisKeys gk;
      gk.param_id = ctx.id();
      for (std::uint64_t e : elts) gk.keys.emplace(e, fixed_ksk(ctx, 20 + e));
      seeds.push_back(with_selector(ctx_bit | 3, io::save(ctx, gk)));
    }
  }
  return seeds;
}

}  // namespace veil::fuzz

// public_key_matches (key_identity.h), apart from the key identity code
// because it decrypts: a program that only checks key ids (the search
// server) must not link the decryption code.
#include "veil/ring/poly_ops.h"
#include "veil/rlwe/encryptor.h"
#include "veil/search/key_identity.h"

namespace veil::search {

bool public_key_matches(const rlwe::ContextPtr& ctx, const rlwe::SecretKey& sk,
                        const rlwe::PublicKey& pk) {
  if (sk.param_id != ctx->id() || pk.param_id != ctx->id()) return false;
  const std::size_t level = ctx->max_level();
  rlwe::Ciphertext ct{.param_id = pk.param_id, .level = level, .scale = 1.0, .polys = {pk.b, pk.a}};
  rlwe::Plaintext e = rlwe::Decryptor(ctx, sk).decrypt(ct);  // b + a s = e * noise factor
  const ring::RnsBasis& basis = ctx->basis_q(level);
  ring::to_coeff(e.poly, basis);
  // Small: within q_0 / 2^8 of zero. A public key's noise is a few standard
  // deviations times the noise factor, far below that.
  const math::u64 q0 = basis.modulus(0).value();
  const math::u64 bound = q0 >> 8;
  bool small = true;
  for (std::size_t k = 0; k < ctx->n(); ++k) {
    const math::u64 c = e.poly.limb(0)[k];
    const math::u64 dist = c > q0 / 2 ? q0 - c : c;
    small &= dist <= bound;  // no early exit: the result is all that is told
  }
  return small;
}

}  // namespace veil::search

#include "veil/search/key_identity.h"

#include <sodium.h>

#include "veil/io/serialize.h"
#include "veil/ring/poly_ops.h"
#include "veil/rlwe/encryptor.h"

namespace veil::search {

namespace {
constexpr char kDomain[] = "veil key identity v1";
}

io::KeyId key_id_of(const rlwe::Context& ctx, const rlwe::PublicKey& pk) {
  const std::vector<std::uint8_t> bytes = io::save(ctx, pk);
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, io::KeyId::kSize);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(kDomain), sizeof kDomain);
  // The envelope's header holds the parameter id; its checksum the payload.
  crypto_generichash_update(&st, bytes.data(), bytes.size());
  io::KeyId id;
  crypto_generichash_final(&st, id.bytes.data(), id.bytes.size());
  return id;
}

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

void require_key(const io::KeyId& got, const io::KeyId& expected, const std::string& what) {
  if (got == expected && !got.empty()) return;
  throw KeyMismatchError(what + ": made under key " +
                         (got.empty() ? "(none recorded)" : got.hex()) + ", expected key " +
                         expected.hex() + " (the keys of another veil keygen; nothing was done)");
}

}  // namespace veil::search

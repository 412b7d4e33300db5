// Decryptor (encryptor.h), apart from encryption so that a program that
// encrypts or only evaluates (the search server) does not link decryption.
#include "veil/ring/poly_ops.h"
#include "veil/rlwe/encryptor.h"
#include "veil/rlwe/errors.h"

namespace veil::rlwe {

using math::u64;
using ring::Form;

namespace {
void check_secret_key(const Context& ctx, const SecretKey& sk) {
  require_param_id(sk.param_id, ctx.id(), "secret key");
  ring::require_shape(sk.s, ctx.key_basis(), "secret key");
}
}  // namespace

Decryptor::Decryptor(ContextPtr ctx, const SecretKey& sk) : ctx_(std::move(ctx)), sk_(sk) {
  check_secret_key(*ctx_, sk);
}

Plaintext Decryptor::decrypt(const Ciphertext& ct) const {
  require_param_id(ct.param_id, ctx_->id(), "decrypt");
  ctx_->require_level(ct.level, "decrypt");
  if (ct.size() < 1) throw MismatchError("decrypt: empty ciphertext");
  const auto& basis = ctx_->basis_q(ct.level);
  for (const auto& p : ct.polys) {
    ring::require_shape(p, basis, "decrypt");
    if (p.form() != Form::kEval)
      throw MismatchError("decrypt: ciphertext must be in evaluation form");
  }
  // Horner: m = (...(c_k s + c_{k-1}) s + ...) s + c_0, one fused
  // multiply-add per step, reading the key's limbs in place (no copy of s).
  Plaintext pt;
  pt.param_id = ct.param_id;
  pt.level = ct.level;
  pt.scale = ct.scale;
  pt.poly = ct.polys.back();
  const std::size_t n = basis.n();
  for (std::size_t i = ct.size() - 1; i-- > 0;) {
    for (std::size_t l = 0; l < basis.size(); ++l) {
      const math::Modulus& m = basis.modulus(l);
      const u64* s = sk_.s.limb(l);
      const u64* c = ct.polys[i].limb(l);
      u64* z = pt.poly.limb(l);
      for (std::size_t j = 0; j < n; ++j) {
        z[j] = m.reduce128(static_cast<math::u128>(z[j]) * s[j] + c[j]);
      }
    }
  }
  return pt;
}

}  // namespace veil::rlwe

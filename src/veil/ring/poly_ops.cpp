#include "veil/ring/poly_ops.h"

namespace veil::ring {

using math::u64;

void require_shape(const RnsPoly& p, const RnsBasis& basis, const char* what) {
  if (p.n() != basis.n() || p.limbs() != basis.size()) {
    throw std::invalid_argument(
        std::string(what) + ": polynomial has " + std::to_string(p.limbs()) + " limbs of degree " +
        std::to_string(p.n()) + ", expected " + std::to_string(basis.size()) + " of degree " +
        std::to_string(basis.n()));
  }
}

namespace {
void prepare_out(const RnsPoly& a, RnsPoly& out) {
  if (&out != &a && (out.n() != a.n() || out.limbs() != a.limbs())) {
    out = RnsPoly::uninitialized(a.n(), a.limbs(), a.form());
  }
  out.set_form(a.form());
}
void require_same_form(const RnsPoly& a, const RnsPoly& b, const char* what) {
  if (a.form() != b.form()) {
    throw std::invalid_argument(std::string(what) + ": operands are in different forms");
  }
}
void require_eval(const RnsPoly& a, const char* what) {
  if (a.form() != Form::kEval) {
    throw std::invalid_argument(std::string(what) + ": operand must be in evaluation form");
  }
}
// The skeleton shared by the element-wise binary operations: shape and form
// checks, output preparation, then z = op(x, y, modulus) over every limb.
template <typename Op>
void binary_limbwise(const RnsPoly& a, const RnsPoly& b, RnsPoly& out, const RnsBasis& basis,
                     const char* what, bool needs_eval, Op op) {
  require_shape(a, basis, what);
  require_shape(b, basis, what);
  if (needs_eval) {
    require_eval(a, what);
    require_eval(b, what);
  } else {
    require_same_form(a, b, what);
  }
  prepare_out(a, out);
  const std::size_t n = basis.n();
  for (std::size_t i = 0; i < basis.size(); ++i) {
    // A local copy: through a reference the compiler must assume the stores
    // to z may change the modulus, reloading it and not vectorising.
    const math::Modulus m = basis.modulus(i);
    const u64 *x = a.limb(i), *y = b.limb(i);
    u64* z = out.limb(i);
    for (std::size_t j = 0; j < n; ++j) z[j] = op(x[j], y[j], m);
  }
}
}  // namespace

void add(const RnsPoly& a, const RnsPoly& b, RnsPoly& out, const RnsBasis& basis) {
  binary_limbwise(a, b, out, basis, "add", false, [](u64 x, u64 y, const math::Modulus& m) {
    const u64 s = x + y;
    return s >= m.value() ? s - m.value() : s;
  });
}

void sub(const RnsPoly& a, const RnsPoly& b, RnsPoly& out, const RnsBasis& basis) {
  binary_limbwise(a, b, out, basis, "sub", false, [](u64 x, u64 y, const math::Modulus& m) {
    const u64 d = x + m.value() - y;
    return d >= m.value() ? d - m.value() : d;
  });
}

void multiply(const RnsPoly& a, const RnsPoly& b, RnsPoly& out, const RnsBasis& basis) {
  binary_limbwise(a, b, out, basis, "multiply", true,
                  [](u64 x, u64 y, const math::Modulus& m) { return math::mul_mod(x, y, m); });
}

void negate(const RnsPoly& a, RnsPoly& out, const RnsBasis& basis) {
  require_shape(a, basis, "negate");
  prepare_out(a, out);
  const std::size_t n = basis.n();
  for (std::size_t i = 0; i < basis.size(); ++i) {
    const u64 q = basis.modulus(i).value();
    const u64* x = a.limb(i);
    u64* z = out.limb(i);
    for (std::size_t j = 0; j < n; ++j) z[j] = x[j] == 0 ? 0 : q - x[j];
  }
}

void multiply_accumulate(const RnsPoly& a, const RnsPoly& b, RnsPoly& acc, const RnsBasis& basis) {
  require_shape(a, basis, "multiply_accumulate");
  require_shape(b, basis, "multiply_accumulate");
  require_shape(acc, basis, "multiply_accumulate");
  require_eval(a, "multiply_accumulate");
  require_eval(b, "multiply_accumulate");
  require_eval(acc, "multiply_accumulate");
  const std::size_t n = basis.n();
  for (std::size_t i = 0; i < basis.size(); ++i) {
    const math::Modulus& m = basis.modulus(i);
    const u64 *x = a.limb(i), *y = b.limb(i);
    u64* z = acc.limb(i);
    for (std::size_t j = 0; j < n; ++j) {
      z[j] = m.reduce128(static_cast<math::u128>(x[j]) * y[j] + z[j]);
    }
  }
}

void multiply_add(const RnsPoly& a, const RnsPoly& b, const RnsPoly& c, RnsPoly& out,
                  const RnsBasis& basis) {
  require_shape(a, basis, "multiply_add");
  require_shape(b, basis, "multiply_add");
  require_shape(c, basis, "multiply_add");
  require_eval(a, "multiply_add");
  require_eval(b, "multiply_add");
  require_eval(c, "multiply_add");
  if (&out != &c) prepare_out(a, out);
  const std::size_t n = basis.n();
  for (std::size_t i = 0; i < basis.size(); ++i) {
    const math::Modulus& m = basis.modulus(i);
    const u64 *x = a.limb(i), *y = b.limb(i), *z = c.limb(i);
    u64* w = out.limb(i);
    for (std::size_t j = 0; j < n; ++j) {
      w[j] = m.reduce128(static_cast<math::u128>(x[j]) * y[j] + z[j]);
    }
  }
}

void tensor(const RnsPoly& a0, const RnsPoly& a1, const RnsPoly& b0, const RnsPoly& b1, RnsPoly& c0,
            RnsPoly& c1, RnsPoly& c2, const RnsBasis& basis) {
  for (const RnsPoly* p : {&a0, &a1, &b0, &b1}) {
    require_shape(*p, basis, "tensor");
    require_eval(*p, "tensor");
  }
  const std::size_t n = basis.n(), k = basis.size();
  RnsPoly r0 = RnsPoly::uninitialized(n, k, Form::kEval);
  RnsPoly r1 = RnsPoly::uninitialized(n, k, Form::kEval);
  RnsPoly r2 = RnsPoly::uninitialized(n, k, Form::kEval);
  for (std::size_t i = 0; i < k; ++i) {
    const math::Modulus& m = basis.modulus(i);
    const u64 *x0 = a0.limb(i), *x1 = a1.limb(i), *y0 = b0.limb(i), *y1 = b1.limb(i);
    u64 *z0 = r0.limb(i), *z1 = r1.limb(i), *z2 = r2.limb(i);
    for (std::size_t j = 0; j < n; ++j) {
      // Operands are below 2^61, so the cross-term sum of two products fits 128 bits.
      z0[j] = m.reduce128(static_cast<math::u128>(x0[j]) * y0[j]);
      z1[j] = m.reduce128(static_cast<math::u128>(x0[j]) * y1[j] +
                          static_cast<math::u128>(x1[j]) * y0[j]);
      z2[j] = m.reduce128(static_cast<math::u128>(x1[j]) * y1[j]);
    }
  }
  c0 = std::move(r0);
  c1 = std::move(r1);
  c2 = std::move(r2);
}

void multiply_scalar(const RnsPoly& a, std::span<const u64> c, RnsPoly& out,
                     const RnsBasis& basis) {
  require_shape(a, basis, "multiply_scalar");
  if (c.size() != basis.size()) {
    throw std::invalid_argument("multiply_scalar: " + std::to_string(c.size()) + " scalars for " +
                                std::to_string(basis.size()) + " limbs");
  }
  prepare_out(a, out);
  const std::size_t n = basis.n();
  for (std::size_t i = 0; i < basis.size(); ++i) {
    const math::Modulus& m = basis.modulus(i);
    const math::MulOperand w(m.reduce(c[i]), m);
    const u64* x = a.limb(i);
    u64* z = out.limb(i);
    for (std::size_t j = 0; j < n; ++j) z[j] = math::mul_shoup(x[j], w, m);
  }
}

void to_eval(RnsPoly& a, const RnsBasis& basis) {
  require_shape(a, basis, "to_eval");
  if (a.form() == Form::kEval) throw std::invalid_argument("to_eval: already in evaluation form");
  for (std::size_t i = 0; i < basis.size(); ++i) basis.ntt(i).forward(a.limb(i));
  a.set_form(Form::kEval);
}

void to_coeff(RnsPoly& a, const RnsBasis& basis) {
  require_shape(a, basis, "to_coeff");
  if (a.form() == Form::kCoeff)
    throw std::invalid_argument("to_coeff: already in coefficient form");
  for (std::size_t i = 0; i < basis.size(); ++i) basis.ntt(i).inverse(a.limb(i));
  a.set_form(Form::kCoeff);
}

bool residues_in_range(const RnsPoly& a, const RnsBasis& basis) {
  if (a.limbs() != basis.size() || a.n() != basis.n()) return false;
  for (std::size_t i = 0; i < basis.size(); ++i) {
    const u64 q = basis.modulus(i).value();
    const u64* x = a.limb(i);
    for (std::size_t j = 0; j < basis.n(); ++j) {
      if (x[j] >= q) return false;
    }
  }
  return true;
}

}  // namespace veil::ring

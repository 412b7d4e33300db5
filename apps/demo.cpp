// `make demo`: an end-to-end encrypted computation with Veil's FHE engine.
// It encrypts vectors, computes on them without the secret key, decrypts, and
// prints the plaintext answer beside the decrypted one.
#include <chrono>
#include <cmath>
#include <complex>
#include <cstdio>
#include <numeric>
#include <vector>

#include "veil/bgv/encoder.h"
#include "veil/bgv/evaluator.h"
#include "veil/ckks/encoder.h"
#include "veil/ckks/evaluator.h"
#include "veil/io/serialize.h"
#include "veil/math/ntt.h"
#include "veil/rlwe/encryptor.h"
#include "veil/rlwe/keygen.h"

using namespace veil;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Public sample data, so the demo's output is reproducible to read; the
// encryption randomness still comes from the CSPRNG.
std::vector<double> sample_vector(std::size_t n, double phase) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = std::sin(0.37 * static_cast<double>(i) + phase);
  return v;
}

void ckks_demo() {
  std::printf("== CKKS: approximate arithmetic on real vectors ==\n");
  rlwe::ParameterLiteral lit;
  lit.scheme = rlwe::Scheme::kCkks;
  lit.n = 8192;
  lit.q_bits = {60, 40, 40};
  lit.p_bits = 60;
  auto ctx = rlwe::Context::create(lit);
  std::printf("parameters: %s\n", ctx->params().describe().c_str());
  const double scale = std::ldexp(1.0, 40);

  auto t0 = Clock::now();
  rlwe::KeyGenerator kg(ctx);
  auto sk = kg.secret_key();
  auto pk = kg.public_key(sk);
  auto rk = kg.relin_key(sk);
  ckks::Evaluator eval(ctx);
  auto gk = kg.galois_keys(sk, eval.galois_elts_for_rotations({1}));
  std::printf("keys (secret, public, relinearisation, 1 rotation): %.1f ms\n", ms_since(t0));

  ckks::Encoder encoder(ctx);
  const std::size_t slots = encoder.slot_count();
  auto x = sample_vector(slots, 0.0), y = sample_vector(slots, 1.0);
  rlwe::Encryptor enc(ctx, pk);
  t0 = Clock::now();
  auto cx = enc.encrypt(encoder.encode(x, scale, ctx->max_level()));
  auto cy = enc.encrypt(encoder.encode(y, scale, ctx->max_level()));
  std::printf("encrypted two vectors of %zu reals with the public key: %.1f ms\n", slots,
              ms_since(t0));

  // z = x * y + rotate(x, 1), computed without the secret key.
  t0 = Clock::now();
  rlwe::Ciphertext prod, rot, z;
  eval.multiply_relin_rescale(cx, cy, rk, prod);
  eval.rotate(cx, 1, gk, rot);
  // prod's scale is 2^80 / q_2, not exactly 2^40: bring rot to exactly that scale
  // by multiplying with 1 encoded at the matching scale, then rescaling.
  const double q_top = static_cast<double>(ctx->params().q()[rot.level]);
  eval.multiply_const(rot, 1.0, rot, prod.scale * q_top / rot.scale);
  eval.rescale(rot, rot);
  eval.add(prod, rot, z);
  std::printf("server computed x*y + rotate(x,1): %.1f ms\n", ms_since(t0));

  auto bytes = io::save(*ctx, z);
  auto z2 = io::load_ciphertext(*ctx, bytes);
  std::printf("result ciphertext serialised: %zu bytes, reloaded and checked\n", bytes.size());

  rlwe::Decryptor dec(ctx, sk);
  auto got = encoder.decode_real(dec.decrypt(z2));
  double worst = 0;
  std::printf("slot | plaintext x*y+x[i+1] | decrypted\n");
  for (std::size_t i = 0; i < slots; ++i) {
    double expect = x[i] * y[i] + x[(i + 1) % slots];
    worst = std::max(worst, std::fabs(got[i] - expect));
    if (i < 5) std::printf("%4zu | %+.9f | %+.9f\n", i, expect, got[i]);
  }
  std::printf("max error over %zu slots: %.2e (%.1f bits of precision)\n\n", slots, worst,
              -std::log2(worst));
}

void bgv_demo() {
  std::printf("== BGV: exact arithmetic mod t, an encrypted inner product ==\n");
  rlwe::ParameterLiteral lit;
  lit.scheme = rlwe::Scheme::kBgv;
  lit.n = 4096;
  lit.q_bits = {36, 36};
  lit.p_bits = 37;
  lit.t = 65537;
  auto ctx = rlwe::Context::create(lit);
  std::printf("parameters: %s\n", ctx->params().describe().c_str());
  rlwe::KeyGenerator kg(ctx);
  auto sk = kg.secret_key();
  auto rk = kg.relin_key(sk);
  bgv::Evaluator eval(ctx);
  bgv::Encoder encoder(ctx);
  const std::size_t half = ctx->n() / 2;
  std::vector<int> steps;
  for (std::size_t s = 1; s < half; s <<= 1) steps.push_back(static_cast<int>(s));
  auto gk = kg.galois_keys(sk, eval.galois_elts(steps, true));

  std::vector<std::uint64_t> a(ctx->n()), b(ctx->n());
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = (i * 7 + 3) % 16;
    b[i] = (i * 5 + 1) % 16;
  }
  std::uint64_t expect = 0;
  for (std::size_t i = 0; i < a.size(); ++i) expect = (expect + a[i] * b[i]) % 65537;

  // The key holder encrypts with the secret key, seed-compressed: half the bytes.
  rlwe::Encryptor enc(ctx, sk);
  auto sa = enc.encrypt_seeded(encoder.encode(a, ctx->max_level()));
  auto sb = enc.encrypt_seeded(encoder.encode(b, ctx->max_level()));
  auto full_bytes = io::save(*ctx, rlwe::expand_seeded(*ctx, sa)).size();
  auto seeded_bytes = io::save(*ctx, sa).size();
  std::printf("ciphertext: %zu bytes; seed-compressed: %zu bytes (%.2fx smaller)\n", full_bytes,
              seeded_bytes, static_cast<double>(full_bytes) / static_cast<double>(seeded_bytes));

  auto t0 = Clock::now();
  rlwe::Ciphertext acc;
  eval.multiply(rlwe::expand_seeded(*ctx, sa), rlwe::expand_seeded(*ctx, sb), acc);
  eval.relinearize(acc, rk, acc);
  for (int s : steps) {  // rotate-and-add sums each row
    rlwe::Ciphertext r;
    eval.rotate_columns(acc, s, gk, r);
    eval.add(acc, r, acc);
  }
  rlwe::Ciphertext r;
  eval.swap_rows(acc, gk, r);  // add the other row
  eval.add(acc, r, acc);
  eval.mod_switch_to(acc, 0, acc);
  std::printf("server: multiply, relinearise, %zu rotations, row swap, mod switch: %.1f ms\n",
              steps.size(), ms_since(t0));
  std::printf("noise budget left: %.1f bits\n", bgv::noise_budget_bits(ctx, sk, acc));

  rlwe::Decryptor dec(ctx, sk);
  auto got = encoder.decode(dec.decrypt(acc));
  std::printf("inner product of two %zu-vectors mod t: plaintext %llu, decrypted %llu -> %s\n\n",
              a.size(), static_cast<unsigned long long>(expect),
              static_cast<unsigned long long>(got[0]), got[0] == expect ? "exact" : "MISMATCH");
  if (got[0] != expect) std::exit(1);
}

}  // namespace

int main() {
  std::printf("Veil FHE engine demo (NTT kernel: %s)\n\n",
              math::to_string(math::default_ntt_kernel()).c_str());
  ckks_demo();
  bgv_demo();
  std::printf("The server steps used only ciphertexts and public evaluation keys.\n");
  return 0;
}

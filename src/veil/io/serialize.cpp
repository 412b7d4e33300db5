#include "veil/io/serialize.h"

#include <sodium.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "veil/io/bit_pack.h"
#include "veil/io/byte_io.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/math/galois.h"
#include "veil/ring/poly_ops.h"
#include "veil/rlwe/errors.h"

namespace veil::io {

using math::u64;
using ring::RnsBasis;
using ring::RnsPoly;

namespace {

constexpr std::size_t kSlack = 4096;  // headers and small fields in a payload

std::size_t poly_bytes(const RnsBasis& b) {
  std::size_t s = 1;
  for (std::size_t i = 0; i < b.size(); ++i) s += packed_bytes(b.n(), b.modulus(i).bits());
  return s;
}

void put_poly(ByteWriter& w, const RnsPoly& p, const RnsBasis& b) {
  ring::require_shape(p, b, "save");
  // Loaders accept evaluation form only (every stored object is kept in it).
  if (p.form() != ring::Form::kEval) {
    throw std::invalid_argument("save: polynomial must be in evaluation form");
  }
  w.put_u8(static_cast<std::uint8_t>(p.form()));
  for (std::size_t i = 0; i < b.size(); ++i)
    put_packed(w, std::span<const u64>(p.limb(i), b.n()), b.modulus(i).bits());
}

RnsPoly get_poly(ByteReader& r, const RnsBasis& b, const char* field) {
  const std::uint8_t form = r.get_u8(field);
  if (form != static_cast<std::uint8_t>(ring::Form::kEval)) {
    throw FormatError(std::string(field) + ": expected evaluation form (1), got " +
                      std::to_string(form));
  }
  RnsPoly p(b.n(), b.size(), ring::Form::kEval);
  try {
    for (std::size_t i = 0; i < b.size(); ++i)
      get_packed(r, std::span<u64>(p.limb(i), b.n()), b.modulus(i).bits(), b.modulus(i).value(),
                 field);
  } catch (...) {
    p.secure_zero();  // the limbs read so far may be part of a secret key
    throw;
  }
  return p;
}

std::size_t get_level(ByteReader& r, const rlwe::Context& ctx) {
  u64 level = r.get_u64("level");
  if (level > ctx.max_level()) {
    throw FormatError("level: got " + std::to_string(level) +
                      ", the parameter set's top level is " + std::to_string(ctx.max_level()));
  }
  return static_cast<std::size_t>(level);
}

double get_scale(ByteReader& r, const rlwe::Context& ctx) {
  double s = r.get_f64("scale");
  if (!std::isfinite(s) || s <= 0) throw FormatError("scale: must be finite and positive");
  if (ctx.scheme() == rlwe::Scheme::kBgv && s != 1.0)
    throw FormatError("scale: BGV objects have scale 1");
  return s;
}

Bytes finish(ObjectType type, u64 param_id, ByteWriter& w) {
  auto payload = w.take();
  auto out = seal_envelope(type, param_id, payload);
  sodium_memzero(payload.data(), payload.size());
  return out;
}

// Opens the envelope and returns a reader over its payload.
struct Opened {
  Envelope env;
  ByteReader reader;
  Opened(ByteView bytes, ObjectType type, const rlwe::Context& ctx, std::size_t max_payload)
      : env(open_envelope(bytes, type, ctx.id(), max_payload)), reader(env.payload) {}
};

void put_ksk(ByteWriter& w, const rlwe::Context& ctx, const rlwe::KeySwitchKey& k) {
  rlwe::require_param_id(k.param_id, ctx.id(), "save key");
  w.put_u32(static_cast<std::uint32_t>(k.parts()));
  for (std::size_t i = 0; i < k.parts(); ++i) {
    put_poly(w, k.b[i], ctx.key_basis());
    put_poly(w, k.a[i], ctx.key_basis());
  }
}

rlwe::KeySwitchKey get_ksk(ByteReader& r, const rlwe::Context& ctx) {
  rlwe::KeySwitchKey k;
  k.param_id = ctx.id();
  const u64 parts = r.get_u32("key parts");
  if (parts != ctx.max_level() + 1) {
    throw FormatError("key parts: got " + std::to_string(parts) + ", expected " +
                      std::to_string(ctx.max_level() + 1));
  }
  for (u64 i = 0; i < parts; ++i) {
    k.b.push_back(get_poly(r, ctx.key_basis(), "key b"));
    k.a.push_back(get_poly(r, ctx.key_basis(), "key a"));
  }
  return k;
}

std::size_t ksk_bytes(const rlwe::Context& ctx) {
  return 4 + 2 * (ctx.max_level() + 1) * poly_bytes(ctx.key_basis());
}

}  // namespace

// ---- parameters ----

Bytes save_parameters(const rlwe::Parameters& p) {
  ByteWriter w;
  w.put_u8(static_cast<std::uint8_t>(p.scheme()));
  w.put_u64(p.n());
  w.put_u64(p.q().size());
  for (u64 q : p.q()) w.put_u64(q);
  w.put_u64(p.p());
  w.put_u64(p.t());
  return finish(ObjectType::Parameters, p.id(), w);
}

std::shared_ptr<const rlwe::Parameters> load_parameters(ByteView bytes,
                                                        const std::string& opt_out) {
  auto env = open_envelope(bytes, ObjectType::Parameters, std::nullopt, 1 << 16);
  ByteReader r(env.payload);
  rlwe::ParameterLiteral lit;
  const std::uint8_t scheme = r.get_u8("scheme");
  if (scheme != static_cast<std::uint8_t>(rlwe::Scheme::kBgv) &&
      scheme != static_cast<std::uint8_t>(rlwe::Scheme::kCkks)) {
    throw FormatError("scheme: got " + std::to_string(scheme) + ", expected 1 (BGV) or 2 (CKKS)");
  }
  lit.scheme = static_cast<rlwe::Scheme>(scheme);
  lit.n = r.get_u64("ring degree");
  const u64 count = r.get_count("prime count", 64, 8);
  if (count == 0) throw FormatError("prime count: must be at least 1");
  lit.q_primes = r.get_u64_vector("primes", count);
  lit.p_prime = r.get_u64("special prime");
  lit.t = r.get_u64("plaintext modulus");
  r.expect_end();
  // Zero means "not given" in a literal (and has no bit length): refuse it
  // here rather than let Parameters::create see it.
  for (std::size_t i = 0; i < lit.q_primes.size(); ++i) {
    if (lit.q_primes[i] == 0) throw FormatError("primes: q_" + std::to_string(i) + " is 0");
  }
  if (lit.p_prime == 0) throw FormatError("special prime: is 0");
  lit.insecure_opt_out_for_test = opt_out;
  auto params = rlwe::Parameters::create(lit);
  if (params->id() != env.param_id) {
    throw FormatError("parameter id: envelope says " + rlwe::hex_id(env.param_id) +
                      ", the parameters hash to " + rlwe::hex_id(params->id()));
  }
  return params;
}

// ---- keys ----

Bytes save(const rlwe::Context& ctx, const rlwe::SecretKey& sk) {
  rlwe::require_param_id(sk.param_id, ctx.id(), "save secret key");
  ByteWriter w;
  w.reserve(poly_bytes(ctx.key_basis()));  // no reallocation leaves copies behind
  put_poly(w, sk.s, ctx.key_basis());
  return finish(ObjectType::SecretKey, ctx.id(), w);
}

rlwe::SecretKey load_secret_key(const rlwe::Context& ctx, ByteView bytes) {
  Opened o(bytes, ObjectType::SecretKey, ctx, poly_bytes(ctx.key_basis()) + kSlack);
  rlwe::SecretKey sk;
  sk.param_id = ctx.id();
  sk.s = get_poly(o.reader, ctx.key_basis(), "secret key");
  o.reader.expect_end();
  return sk;
}

Bytes save(const rlwe::Context& ctx, const rlwe::PublicKey& pk) {
  rlwe::require_param_id(pk.param_id, ctx.id(), "save public key");
  ByteWriter w;
  const auto& b = ctx.basis_q(ctx.max_level());
  put_poly(w, pk.b, b);
  put_poly(w, pk.a, b);
  return finish(ObjectType::PublicKey, ctx.id(), w);
}

rlwe::PublicKey load_public_key(const rlwe::Context& ctx, ByteView bytes) {
  const auto& b = ctx.basis_q(ctx.max_level());
  Opened o(bytes, ObjectType::PublicKey, ctx, 2 * poly_bytes(b) + kSlack);
  rlwe::PublicKey pk;
  pk.param_id = ctx.id();
  pk.b = get_poly(o.reader, b, "public key b");
  pk.a = get_poly(o.reader, b, "public key a");
  o.reader.expect_end();
  return pk;
}

Bytes save(const rlwe::Context& ctx, const rlwe::RelinKey& rk) {
  ByteWriter w;
  put_ksk(w, ctx, rk.key);
  return finish(ObjectType::RelinKeys, ctx.id(), w);
}

rlwe::RelinKey load_relin_key(const rlwe::Context& ctx, ByteView bytes) {
  Opened o(bytes, ObjectType::RelinKeys, ctx, ksk_bytes(ctx) + kSlack);
  rlwe::RelinKey rk{get_ksk(o.reader, ctx)};
  o.reader.expect_end();
  return rk;
}

Bytes save(const rlwe::Context& ctx, const rlwe::GaloisKeys& gk) {
  rlwe::require_param_id(gk.param_id, ctx.id(), "save Galois keys");
  ByteWriter w;
  w.put_u64(gk.keys.size());
  for (const auto& [elt, key] : gk.keys) {  // std::map: ascending elements
    w.put_u64(elt);
    put_ksk(w, ctx, key);
  }
  return finish(ObjectType::GaloisKeys, ctx.id(), w);
}

rlwe::GaloisKeys load_galois_keys(const rlwe::Context& ctx, ByteView bytes) {
  // At most one key per odd element below 2N.
  const std::size_t max_keys = ctx.n();
  const std::size_t one = 8 + ksk_bytes(ctx);
  Opened o(bytes, ObjectType::GaloisKeys, ctx, checked_add(checked_mul(max_keys, one), kSlack));
  rlwe::GaloisKeys gk;
  gk.param_id = ctx.id();
  const u64 count = o.reader.get_count("Galois key count", max_keys, one);
  u64 prev = 0;
  for (u64 i = 0; i < count; ++i) {
    const u64 elt = o.reader.get_u64("Galois element");
    try {
      math::check_galois_elt(elt, ctx.n(), "Galois element");
    } catch (const std::invalid_argument& e) {
      throw FormatError(e.what());
    }
    if (i > 0 && elt <= prev) {
      throw FormatError("Galois element: " + std::to_string(elt) +
                        " is not above the previous one (" + std::to_string(prev) +
                        "); elements must be strictly ascending");
    }
    prev = elt;
    gk.keys.emplace(elt, get_ksk(o.reader, ctx));
  }
  o.reader.expect_end();
  return gk;
}

// ---- plaintexts and ciphertexts ----

Bytes save(const rlwe::Context& ctx, const rlwe::Plaintext& pt) {
  rlwe::require_param_id(pt.param_id, ctx.id(), "save plaintext");
  ByteWriter w;
  w.put_u64(pt.level);
  w.put_f64(pt.scale);
  put_poly(w, pt.poly, ctx.basis_q(pt.level));
  return finish(ObjectType::Plaintext, ctx.id(), w);
}

rlwe::Plaintext load_plaintext(const rlwe::Context& ctx, ByteView bytes) {
  Opened o(bytes, ObjectType::Plaintext, ctx, poly_bytes(ctx.basis_q(ctx.max_level())) + kSlack);
  rlwe::Plaintext pt;
  pt.param_id = ctx.id();
  pt.level = get_level(o.reader, ctx);
  pt.scale = get_scale(o.reader, ctx);
  pt.poly = get_poly(o.reader, ctx.basis_q(pt.level), "plaintext");
  o.reader.expect_end();
  return pt;
}

Bytes save(const rlwe::Context& ctx, const rlwe::Ciphertext& ct) {
  rlwe::require_param_id(ct.param_id, ctx.id(), "save ciphertext");
  if (ct.size() < 1 || ct.size() > kMaxCiphertextSize) {
    throw std::invalid_argument("save ciphertext: size " + std::to_string(ct.size()) +
                                " outside [1, 16]");
  }
  ByteWriter w;
  w.put_u64(ct.level);
  w.put_f64(ct.scale);
  w.put_u64(ct.size());
  for (const auto& p : ct.polys) put_poly(w, p, ctx.basis_q(ct.level));
  return finish(ObjectType::Ciphertext, ctx.id(), w);
}

rlwe::Ciphertext load_ciphertext(const rlwe::Context& ctx, ByteView bytes) {
  const std::size_t one = poly_bytes(ctx.basis_q(ctx.max_level()));
  Opened o(bytes, ObjectType::Ciphertext, ctx, kMaxCiphertextSize * one + kSlack);
  rlwe::Ciphertext ct;
  ct.param_id = ctx.id();
  ct.level = get_level(o.reader, ctx);
  ct.scale = get_scale(o.reader, ctx);
  const RnsBasis& basis = ctx.basis_q(ct.level);
  // Bounded by kMaxCiphertextSize and by the polynomials actually present.
  const u64 size = o.reader.get_count("ciphertext size", kMaxCiphertextSize, poly_bytes(basis));
  if (size < 1) throw FormatError("ciphertext size: got 0, expected at least 1");
  ct.polys.reserve(size);
  for (u64 i = 0; i < size; ++i) ct.polys.push_back(get_poly(o.reader, basis, "ciphertext"));
  o.reader.expect_end();
  return ct;
}

Bytes save(const rlwe::Context& ctx, const rlwe::SeededCiphertext& sct) {
  rlwe::require_param_id(sct.param_id, ctx.id(), "save seeded ciphertext");
  ByteWriter w;
  w.put_u64(sct.level);
  w.put_f64(sct.scale);
  w.put_bytes(sct.seed);
  put_poly(w, sct.c0, ctx.basis_q(sct.level));
  return finish(ObjectType::SeededCiphertext, ctx.id(), w);
}

rlwe::SeededCiphertext load_seeded_ciphertext(const rlwe::Context& ctx, ByteView bytes) {
  Opened o(bytes, ObjectType::SeededCiphertext, ctx,
           poly_bytes(ctx.basis_q(ctx.max_level())) + kSlack);
  rlwe::SeededCiphertext sct;
  sct.param_id = ctx.id();
  sct.level = get_level(o.reader, ctx);
  sct.scale = get_scale(o.reader, ctx);
  auto seed = o.reader.get_bytes("seed", sct.seed.size());
  std::copy(seed.begin(), seed.end(), sct.seed.begin());
  sct.c0 = get_poly(o.reader, ctx.basis_q(sct.level), "seeded ciphertext");
  o.reader.expect_end();
  return sct;
}

}  // namespace veil::io

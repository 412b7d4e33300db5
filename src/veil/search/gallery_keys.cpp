#include "veil/search/gallery_keys.h"

#include <sodium.h>

#include <bit>

#include "veil/io/bit_pack.h"
#include "veil/io/byte_io.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/ring/poly_ops.h"
#include "veil/ring/sampler.h"
#include "veil/rlwe/errors.h"
#include "veil/rlwe/secret_digest.h"

namespace veil::search {

namespace {

constexpr std::uint64_t kSecretDomain = std::uint64_t{0x47534543} << 32;  // "GSEC" | j
constexpr char kSecretLabel[] = "veil gallery dimension secrets v1";

const ring::RnsBasis& gallery_basis(const rlwe::Context& ctx) {
  if (ctx.max_level() != 1) {
    throw rlwe::MismatchError("gallery keys: context must have exactly two ciphertext primes");
  }
  return ctx.basis_q(1);
}

// BLAKE2b over the secret's residues: a PRF key only the key holder can form.
ring::Seed secrets_seed(const rlwe::Context& ctx, const rlwe::SecretKey& sk) {
  rlwe::require_param_id(sk.param_id, ctx.id(), "gallery secrets: secret key");
  ring::require_shape(sk.s, ctx.key_basis(), "gallery secrets: secret key");
  return rlwe::secret_digest(sk, kSecretLabel);
}

// s_j in evaluation form over the gallery basis.
void derive_secret(const ring::Seed& seed, const ring::RnsBasis& basis, std::size_t j,
                   ring::RnsPoly& out) {
  ring::Xof xof(seed, kSecretDomain | j);
  ring::sample_ternary(xof, basis, out);
  ring::to_eval(out, basis);
}

constexpr std::uint32_t kKeyVersion = 2;  // 2: the key id after the version
constexpr std::uint64_t kMaxKeyDimension = 1 << 16;

}  // namespace

GallerySecrets::GallerySecrets(const rlwe::Context& ctx, const rlwe::SecretKey& sk,
                               std::size_t count)
    : n_(ctx.n()), count_(count), words_(count * 2 * ctx.n()) {
  const auto& basis = gallery_basis(ctx);
  ring::Seed seed = secrets_seed(ctx, sk);
  ring::RnsPoly s;
  for (std::size_t j = 0; j < count; ++j) {
    derive_secret(seed, basis, j, s);
    for (std::size_t l = 0; l < 2; ++l)
      std::copy(s.limb(l), s.limb(l) + n_, words_.data() + (j * 2 + l) * n_);
  }
  s.secure_zero();
  sodium_memzero(seed.data(), seed.size());
}

GallerySecrets::~GallerySecrets() { sodium_memzero(words_.data(), words_.size() * 4); }

GalleryPublicKey make_gallery_public_key(const rlwe::Context& ctx, const rlwe::SecretKey& sk,
                                         std::size_t count) {
  const auto& basis = gallery_basis(ctx);
  GallerySecrets secrets(ctx, sk, count);
  GalleryPublicKey key;
  key.param_id = ctx.id();
  auto xof = ring::Xof::fresh();
  ring::sample_uniform(xof, basis, ring::Form::kEval, key.a);
  const std::size_t n = ctx.n();
  ring::RnsPoly e;
  for (std::size_t j = 0; j < count; ++j) {
    ring::sample_gaussian(xof, basis, e);
    ring::to_eval(e, basis);
    for (std::size_t l = 0; l < 2; ++l) {
      const math::Modulus& q = basis.modulus(l);
      const std::uint64_t* a = key.a.limb(l);
      const std::uint32_t* s = secrets.get(j, l);
      std::uint64_t* b = e.limb(l);
      for (std::size_t k = 0; k < n; ++k)
        b[k] = math::sub_mod(b[k], math::mul_mod(a[k], s[k], q), q);
    }
    key.b.push_back(e);
  }
  e.secure_zero();
  return key;
}

std::vector<std::uint8_t> save_gallery_public_key(const rlwe::Context& ctx,
                                                  const GalleryPublicKey& key) {
  const auto& basis = gallery_basis(ctx);
  rlwe::require_param_id(key.param_id, ctx.id(), "save gallery public key");
  io::ByteWriter w;
  w.put_u32(kKeyVersion);
  w.put_bytes(key.key_id.bytes);
  w.put_u64(key.count());
  auto put = [&](const ring::RnsPoly& p) {
    ring::require_shape(p, basis, "gallery public key");
    for (std::size_t l = 0; l < 2; ++l)
      io::put_packed(w, std::span<const std::uint64_t>(p.limb(l), ctx.n()),
                     std::bit_width(basis.modulus(l).value()));
  };
  put(key.a);
  for (const auto& b : key.b) put(b);
  return io::seal_envelope(io::ObjectType::GalleryPublicKey, ctx.id(), w.bytes());
}

GalleryPublicKey load_gallery_public_key(const rlwe::Context& ctx,
                                         std::span<const std::uint8_t> bytes) {
  const auto& basis = gallery_basis(ctx);
  auto env = io::open_envelope(bytes, io::ObjectType::GalleryPublicKey, std::nullopt,
                               std::uint64_t{1} << 32);
  rlwe::require_param_id(env.param_id, ctx.id(), "gallery public key");
  io::ByteReader r(env.payload);
  const auto version = r.get_u32("version");
  if (version != kKeyVersion)
    throw io::FormatError("gallery public key: unsupported version " + std::to_string(version) +
                          " (made by an older Veil: veil gallery-key rewrites it)");
  GalleryPublicKey key;
  key.param_id = env.param_id;
  const auto key_bytes = r.get_bytes("key id", key.key_id.bytes.size());
  std::copy(key_bytes.begin(), key_bytes.end(), key.key_id.bytes.begin());
  const std::size_t n = ctx.n();
  std::size_t poly_bytes = 0;
  for (std::size_t l = 0; l < 2; ++l)
    poly_bytes += io::packed_bytes(n, std::bit_width(basis.modulus(l).value()));
  const std::uint64_t count = r.get_count(
      "dimensions", std::min<std::uint64_t>(kMaxKeyDimension, r.remaining() / poly_bytes));
  auto get = [&](ring::RnsPoly& p, const char* field) {
    p = ring::RnsPoly(n, 2, ring::Form::kEval);
    for (std::size_t l = 0; l < 2; ++l) {
      const std::uint64_t q = basis.modulus(l).value();
      io::get_packed(r, std::span<std::uint64_t>(p.limb(l), n), std::bit_width(q), q, field);
    }
  };
  get(key.a, "gallery public key a");
  key.b.resize(count);
  for (auto& b : key.b) get(b, "gallery public key b");
  r.expect_end();
  return key;
}

}  // namespace veil::search

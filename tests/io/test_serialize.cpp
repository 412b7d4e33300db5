// Serializers of every FHE object: exact round trips, keys that still work
// after a round trip, sizes of the bit-packed encoding, and bad input that must
// be refused with a FormatError (or ParameterError) naming the problem.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "test_rng.h"
#include "veil/bgv/encoder.h"
#include "veil/bgv/evaluator.h"
#include "veil/ckks/encoder.h"
#include "veil/ckks/evaluator.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/io/serialize.h"
#include "veil/rlwe/encryptor.h"
#include "veil/rlwe/errors.h"
#include "veil/rlwe/evaluator.h"
#include "veil/rlwe/keygen.h"

using namespace veil;
using io::Bytes;
using io::FormatError;
using io::ObjectType;
using rlwe::Ciphertext;
using rlwe::ParameterLiteral;
using rlwe::Plaintext;
using rlwe::Scheme;
using u64 = std::uint64_t;

namespace {

constexpr std::size_t kHeader = io::kEnvelopeHeaderSize;

// ---- byte helpers ----

u64 get_le(const Bytes& b, std::size_t off, int n) {
  u64 v = 0;
  for (int i = 0; i < n; ++i) v |= static_cast<u64>(b.at(off + i)) << (8 * i);
  return v;
}

void put_le(Bytes& b, std::size_t off, u64 v, int n) {
  for (int i = 0; i < n; ++i) b.at(off + i) = static_cast<std::uint8_t>(v >> (8 * i));
}

void put_f64(Bytes& b, std::size_t off, double v) {
  u64 bits;
  std::memcpy(&bits, &v, sizeof bits);
  put_le(b, off, bits, 8);
}

Bytes payload_of(const Bytes& env) { return Bytes(env.begin() + kHeader, env.end()); }
ObjectType type_of(const Bytes& env) {
  return static_cast<ObjectType>(get_le(env, io::kEnvelopeTypeOffset, 2));
}
u64 param_id_of(const Bytes& env) { return get_le(env, io::kEnvelopeParamIdOffset, 8); }

// The envelope of `env` around another payload, with a valid checksum, so that
// the change reaches the payload parser.
Bytes reseal(const Bytes& env, const Bytes& payload, std::optional<u64> param_id = std::nullopt) {
  return io::seal_envelope(type_of(env), param_id.value_or(param_id_of(env)), payload);
}

// Edits the payload of `env` and reseals it.
Bytes edit(const Bytes& env, const std::function<void(Bytes&)>& f) {
  Bytes p = payload_of(env);
  f(p);
  return reseal(env, p);
}

// Writes `v` as coefficient j of a limb packed at `bits` bits from byte `off`.
void set_packed(Bytes& b, std::size_t off, std::size_t j, int bits, u64 v) {
  for (int k = 0; k < bits; ++k) {
    const std::size_t bit = j * static_cast<std::size_t>(bits) + static_cast<std::size_t>(k);
    std::uint8_t& byte = b.at(off + bit / 8);
    const auto mask = static_cast<std::uint8_t>(1u << (bit % 8));
    byte = static_cast<std::uint8_t>(((v >> k) & 1) ? (byte | mask) : (byte & ~mask));
  }
}

int bit_length(u64 x) { return 64 - __builtin_clzll(x); }
std::size_t packed(std::size_t n, int bits) { return (n * static_cast<std::size_t>(bits) + 7) / 8; }

// The message of the FormatError `f` throws ("" and a failure otherwise).
std::string format_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected FormatError, got another exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected FormatError, nothing thrown";
  return "";
}

#define EXPECT_FORMAT_ERROR(expr, substr)                                        \
  do {                                                                           \
    const std::string msg_ = format_error([&] { (void)(expr); });                \
    EXPECT_NE(msg_.find(substr), std::string::npos)                              \
        << "message \"" << msg_ << "\" does not mention \"" << (substr) << "\""; \
  } while (0)

// ---- field-by-field equality ----

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void expect_equal(const rlwe::KeySwitchKey& a, const rlwe::KeySwitchKey& b) {
  EXPECT_EQ(a.param_id, b.param_id);
  ASSERT_EQ(a.parts(), b.parts());
  ASSERT_EQ(a.a.size(), b.a.size());
  for (std::size_t i = 0; i < a.parts(); ++i) {
    EXPECT_TRUE(a.b[i] == b.b[i]) << "part " << i;
    EXPECT_TRUE(a.a[i] == b.a[i]) << "part " << i;
  }
}

void expect_equal(const rlwe::GaloisKeys& a, const rlwe::GaloisKeys& b) {
  EXPECT_EQ(a.param_id, b.param_id);
  ASSERT_EQ(a.keys.size(), b.keys.size());
  for (auto ia = a.keys.begin(), ib = b.keys.begin(); ia != a.keys.end(); ++ia, ++ib) {
    EXPECT_EQ(ia->first, ib->first);
    expect_equal(ia->second, ib->second);
  }
}

void expect_equal(const Plaintext& a, const Plaintext& b) {
  EXPECT_EQ(a.param_id, b.param_id);
  EXPECT_EQ(a.level, b.level);
  EXPECT_TRUE(same_bits(a.scale, b.scale));
  EXPECT_TRUE(a.poly == b.poly);
}

void expect_equal(const Ciphertext& a, const Ciphertext& b) {
  EXPECT_EQ(a.param_id, b.param_id);
  EXPECT_EQ(a.level, b.level);
  EXPECT_TRUE(same_bits(a.scale, b.scale));
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a.polys[i] == b.polys[i]) << i;
}

void expect_equal(const rlwe::SeededCiphertext& a, const rlwe::SeededCiphertext& b) {
  EXPECT_EQ(a.param_id, b.param_id);
  EXPECT_EQ(a.level, b.level);
  EXPECT_TRUE(same_bits(a.scale, b.scale));
  EXPECT_TRUE(a.c0 == b.c0);
  EXPECT_EQ(a.seed, b.seed);
}

void expect_equal(const rlwe::Parameters& a, const rlwe::Parameters& b) {
  EXPECT_EQ(a.scheme(), b.scheme());
  EXPECT_EQ(a.n(), b.n());
  EXPECT_EQ(a.q(), b.q());
  EXPECT_EQ(a.p(), b.p());
  EXPECT_EQ(a.t(), b.t());
  EXPECT_EQ(a.id(), b.id());
  EXPECT_EQ(a.secure_128(), b.secure_128());
}

// ---- parameter sets, keys and scheme-specific encoding ----

struct Case {
  const char* name;
  Scheme scheme;
  std::size_t n;
  std::vector<int> q_bits;
  int p_bits;
  u64 t;          // BGV
  double scale;   // CKKS encoding scale
  bool insecure;  // needs the opt-out
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

constexpr const char* kOptOut = "SerializeTest";

ParameterLiteral literal_of(const Case& c) {
  ParameterLiteral lit;
  lit.scheme = c.scheme;
  lit.n = c.n;
  lit.q_bits = c.q_bits;
  lit.p_bits = c.p_bits;
  lit.t = c.t;
  if (c.insecure) lit.insecure_opt_out_for_test = kOptOut;
  return lit;
}

// A context, its keys and the scheme's encoder and evaluator, built once per set.
struct Set {
  rlwe::ContextPtr ctx;
  rlwe::SecretKey sk;
  rlwe::PublicKey pk;
  rlwe::RelinKey rk;
  rlwe::GaloisKeys gk;  // rotation by 1 and conjugation / row swap
  std::unique_ptr<bgv::Encoder> bgv_encoder;
  std::unique_ptr<bgv::Evaluator> bgv_eval;
  std::unique_ptr<ckks::Evaluator> ckks_eval;
  double scale = 1;

  bool bgv() const { return ctx->scheme() == Scheme::kBgv; }
  std::size_t slots() const { return bgv() ? ctx->n() : ctx->n() / 2; }

  // Small non-negative integers, exact in both schemes.
  std::vector<std::int64_t> random_values() const {
    std::vector<std::int64_t> v(slots());
    for (auto& x : v) x = static_cast<std::int64_t>(test::uniform_below(10));
    return v;
  }
  Plaintext encode(const std::vector<std::int64_t>& v, std::size_t level) const {
    if (bgv()) return bgv_encoder->encode_signed(v, level);
    std::vector<double> d(v.begin(), v.end());
    return ckks_eval->encoder().encode(d, scale, level);
  }
  std::vector<std::int64_t> decode(const Plaintext& pt) const {
    if (bgv()) return bgv_encoder->decode_signed(pt);
    auto d = ckks_eval->encoder().decode_real(pt);
    std::vector<std::int64_t> out(d.size());
    for (std::size_t i = 0; i < d.size(); ++i) out[i] = std::llround(d[i]);
    return out;
  }
  void multiply_relin(const Ciphertext& a, const Ciphertext& b, const rlwe::RelinKey& key,
                      Ciphertext& out) const {
    Ciphertext m;
    if (bgv()) {
      bgv_eval->multiply(a, b, m);
      bgv_eval->relinearize(m, key, out);
    } else {
      ckks_eval->multiply(a, b, m);
      ckks_eval->relinearize(m, key, out);
    }
  }
  // Left rotation by one slot (within each row for BGV).
  void rotate_left(const Ciphertext& a, const rlwe::GaloisKeys& keys, Ciphertext& out) const {
    if (bgv()) {
      bgv_eval->rotate_columns(a, 1, keys, out);
    } else {
      ckks_eval->rotate(a, 1, keys, out);
    }
  }
  std::vector<std::int64_t> rotated_left(const std::vector<std::int64_t>& v) const {
    const std::size_t row = bgv() ? slots() / 2 : slots();
    std::vector<std::int64_t> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) {
      const std::size_t base = i / row * row;
      out[i] = v[base + (i - base + 1) % row];
    }
    return out;
  }
};

const Set& set_for(const Case& c) {
  static std::map<std::string, std::unique_ptr<Set>> cache;
  auto& slot = cache[c.name];
  if (!slot) {
    slot = std::make_unique<Set>();
    slot->ctx = rlwe::Context::create(literal_of(c));
    slot->scale = c.scale;
    rlwe::KeyGenerator kg(slot->ctx);
    slot->sk = kg.secret_key();
    slot->pk = kg.public_key(slot->sk);
    slot->rk = kg.relin_key(slot->sk);
    if (c.scheme == Scheme::kBgv) {
      slot->bgv_encoder = std::make_unique<bgv::Encoder>(slot->ctx);
      slot->bgv_eval = std::make_unique<bgv::Evaluator>(slot->ctx);
      slot->gk = kg.galois_keys(slot->sk, slot->bgv_eval->galois_elts({1}, true));
    } else {
      slot->ckks_eval = std::make_unique<ckks::Evaluator>(slot->ctx);
      slot->gk = kg.galois_keys(slot->sk, slot->ckks_eval->galois_elts_for_rotations({1}, true));
    }
  }
  return *slot;
}

class SerializeTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override { s = &set_for(GetParam()); }
  const rlwe::Context& ctx() const { return *s->ctx; }
  bool small() const { return GetParam().n <= 64; }

  Ciphertext encrypt(const std::vector<std::int64_t>& v, std::size_t level) const {
    return rlwe::Encryptor(s->ctx, s->pk).encrypt(s->encode(v, level));
  }
  std::vector<std::int64_t> decrypt(const Ciphertext& ct, const rlwe::SecretKey& key) const {
    return s->decode(rlwe::Decryptor(s->ctx, key).decrypt(ct));
  }
  Ciphertext fresh_ct() const { return encrypt(s->random_values(), ctx().max_level()); }

  // Bytes of one valid object of each type, with the loader for that type.
  struct Saved {
    const char* what;
    Bytes bytes;
    std::function<void(const Bytes&)> load;
  };
  std::vector<Saved> every_object() const {
    const auto& c = ctx();
    auto sct =
        rlwe::Encryptor(s->ctx, s->sk).encrypt_seeded(s->encode(s->random_values(), c.max_level()));
    std::vector<Saved> out;
    out.push_back({"parameters", io::save_parameters(c.params()),
                   [](const Bytes& b) { (void)io::load_parameters(b, kOptOut); }});
    out.push_back({"secret key", io::save(c, s->sk),
                   [&c](const Bytes& b) { (void)io::load_secret_key(c, b); }});
    out.push_back({"public key", io::save(c, s->pk),
                   [&c](const Bytes& b) { (void)io::load_public_key(c, b); }});
    out.push_back({"relin key", io::save(c, s->rk),
                   [&c](const Bytes& b) { (void)io::load_relin_key(c, b); }});
    out.push_back({"Galois keys", io::save(c, s->gk),
                   [&c](const Bytes& b) { (void)io::load_galois_keys(c, b); }});
    out.push_back({"plaintext", io::save(c, s->encode(s->random_values(), 0)),
                   [&c](const Bytes& b) { (void)io::load_plaintext(c, b); }});
    out.push_back({"ciphertext", io::save(c, fresh_ct()),
                   [&c](const Bytes& b) { (void)io::load_ciphertext(c, b); }});
    out.push_back({"seeded ciphertext", io::save(c, sct),
                   [&c](const Bytes& b) { (void)io::load_seeded_ciphertext(c, b); }});
    return out;
  }

  const Set* s = nullptr;
};

// ---- round trips ----

TEST_P(SerializeTest, ParametersRoundTrip) {
  const auto& p = ctx().params();
  Bytes b = io::save_parameters(p);
  EXPECT_EQ(b.size(), kHeader + 1 + 8 + 8 + 8 * p.q().size() + 8 + 8);
  EXPECT_EQ(param_id_of(b), p.id());
  auto back = io::load_parameters(b, GetParam().insecure ? kOptOut : "");
  expect_equal(*back, p);
  EXPECT_EQ(io::save_parameters(*back), b);
  // A context built from the loaded set accepts the objects of the original.
  auto ctx2 = rlwe::Context::create(back);
  EXPECT_NO_THROW((void)io::load_public_key(*ctx2, io::save(ctx(), s->pk)));
}

TEST_P(SerializeTest, KeysRoundTripExactly) {
  const auto& c = ctx();
  Bytes bsk = io::save(c, s->sk);
  auto sk = io::load_secret_key(c, bsk);
  EXPECT_EQ(sk.param_id, s->sk.param_id);
  EXPECT_TRUE(sk.s == s->sk.s);
  EXPECT_EQ(io::save(c, sk), bsk);

  Bytes bpk = io::save(c, s->pk);
  auto pk = io::load_public_key(c, bpk);
  EXPECT_EQ(pk.param_id, s->pk.param_id);
  EXPECT_TRUE(pk.b == s->pk.b);
  EXPECT_TRUE(pk.a == s->pk.a);
  EXPECT_EQ(io::save(c, pk), bpk);

  Bytes brk = io::save(c, s->rk);
  auto rk = io::load_relin_key(c, brk);
  expect_equal(rk.key, s->rk.key);
  EXPECT_EQ(io::save(c, rk), brk);

  Bytes bgk = io::save(c, s->gk);
  auto gk = io::load_galois_keys(c, bgk);
  ASSERT_EQ(gk.keys.size(), 2u);
  expect_equal(gk, s->gk);
  EXPECT_EQ(io::save(c, gk), bgk);

  rlwe::GaloisKeys none;
  none.param_id = c.id();
  EXPECT_EQ(io::load_galois_keys(c, io::save(c, none)).keys.size(), 0u);
}

TEST_P(SerializeTest, LoadedKeysStillWork) {
  const auto& c = ctx();
  auto sk = io::load_secret_key(c, io::save(c, s->sk));
  auto pk = io::load_public_key(c, io::save(c, s->pk));
  auto rk = io::load_relin_key(c, io::save(c, s->rk));
  auto gk = io::load_galois_keys(c, io::save(c, s->gk));

  auto a = s->random_values(), b = s->random_values();
  rlwe::Encryptor enc(s->ctx, pk);
  auto ca = enc.encrypt(s->encode(a, c.max_level()));
  auto cb = enc.encrypt(s->encode(b, c.max_level()));
  EXPECT_EQ(decrypt(ca, sk), a);

  Ciphertext prod;
  s->multiply_relin(ca, cb, rk, prod);
  ASSERT_EQ(prod.size(), 2u);
  std::vector<std::int64_t> want(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) want[i] = a[i] * b[i];
  EXPECT_EQ(decrypt(prod, sk), want);

  Ciphertext rot;
  s->rotate_left(ca, gk, rot);
  EXPECT_EQ(decrypt(rot, sk), s->rotated_left(a));

  // Secret-key encryption with the loaded secret key, decrypted with the original.
  auto cs = rlwe::Encryptor(s->ctx, sk).encrypt(s->encode(b, 0));
  EXPECT_EQ(decrypt(cs, s->sk), b);
}

TEST_P(SerializeTest, PlaintextsAndCiphertextsRoundTripAtEveryLevel) {
  const auto& c = ctx();
  rlwe::Evaluator core(s->ctx);
  auto v = s->random_values();
  auto top = encrypt(v, c.max_level());
  for (std::size_t level = 0; level <= c.max_level(); ++level) {
    auto pt = s->encode(v, level);
    Bytes bp = io::save(c, pt);
    auto pt2 = io::load_plaintext(c, bp);
    expect_equal(pt2, pt);
    EXPECT_EQ(io::save(c, pt2), bp);
    EXPECT_EQ(s->decode(pt2), v);

    Ciphertext ct;
    core.drop_to_level(top, level, ct);
    Bytes bc = io::save(c, ct);
    auto ct2 = io::load_ciphertext(c, bc);
    expect_equal(ct2, ct);
    EXPECT_EQ(io::save(c, ct2), bc);
    EXPECT_EQ(decrypt(ct2, s->sk), v);
  }
  // Size 3 (a product before relinearisation) and size 1.
  Ciphertext m3;
  core.multiply(top, top, m3);
  ASSERT_EQ(m3.size(), 3u);
  Bytes b3 = io::save(c, m3);
  expect_equal(io::load_ciphertext(c, b3), m3);
  Ciphertext one = top;
  one.polys.resize(1);
  expect_equal(io::load_ciphertext(c, io::save(c, one)), one);
  // A CKKS scale other than the encoding's survives bit for bit.
  if (!s->bgv()) {
    Ciphertext odd = top;
    odd.scale = std::nextafter(odd.scale, 0.0) * 3;
    expect_equal(io::load_ciphertext(c, io::save(c, odd)), odd);
  }
}

TEST_P(SerializeTest, SeededCiphertextRoundTripExpandsAndDecrypts) {
  const auto& c = ctx();
  auto v = s->random_values();
  for (std::size_t level = 0; level <= c.max_level(); ++level) {
    auto sct = rlwe::Encryptor(s->ctx, s->sk).encrypt_seeded(s->encode(v, level));
    Bytes b = io::save(c, sct);
    auto back = io::load_seeded_ciphertext(c, b);
    expect_equal(back, sct);
    EXPECT_EQ(io::save(c, back), b);
    auto full = rlwe::expand_seeded(c, back);
    EXPECT_EQ(full.size(), 2u);
    EXPECT_EQ(decrypt(full, s->sk), v);
    // The expansion is the same ciphertext as expanding the original.
    expect_equal(full, rlwe::expand_seeded(c, sct));

    // Half the bytes of the full ciphertext.
    Bytes bf = io::save(c, full);
    const double ratio = static_cast<double>(b.size()) / static_cast<double>(bf.size());
    if (!small()) {
      EXPECT_GT(ratio, 0.49);
      EXPECT_LT(ratio, 0.51);
    } else {
      EXPECT_LT(b.size(), bf.size());  // the 112 bytes of headers weigh more at N = 32
    }
  }
}

TEST_P(SerializeTest, BitPackedSizesMatchTheFormula) {
  const auto& c = ctx();
  const auto& p = c.params();
  auto poly = [&](std::size_t level, bool with_p) {
    std::size_t bytes = 1;  // form
    for (std::size_t i = 0; i <= level; ++i) bytes += packed(c.n(), bit_length(p.q()[i]));
    if (with_p) bytes += packed(c.n(), bit_length(p.p()));
    return bytes;
  };
  const std::size_t L = c.max_level();
  EXPECT_EQ(io::save(c, s->sk).size(), kHeader + poly(L, true));
  EXPECT_EQ(io::save(c, s->pk).size(), kHeader + 2 * poly(L, false));
  const std::size_t ksk = 4 + 2 * (L + 1) * poly(L, true);
  EXPECT_EQ(io::save(c, s->rk).size(), kHeader + ksk);
  EXPECT_EQ(io::save(c, s->gk).size(), kHeader + 8 + s->gk.keys.size() * (8 + ksk));
  for (std::size_t level = 0; level <= L; ++level) {
    auto v = s->random_values();
    EXPECT_EQ(io::save(c, s->encode(v, level)).size(), kHeader + 16 + poly(level, false));
    Ciphertext ct;
    rlwe::Evaluator(s->ctx).drop_to_level(encrypt(v, L), level, ct);
    EXPECT_EQ(io::save(c, ct).size(), kHeader + 24 + 2 * poly(level, false));
    auto sct = rlwe::Encryptor(s->ctx, s->sk).encrypt_seeded(s->encode(v, level));
    EXPECT_EQ(io::save(c, sct).size(), kHeader + 16 + 32 + poly(level, false));
  }
  // Packed, not 64 bits per coefficient: a 36-bit limb of N coefficients is 36 N / 8 bytes.
  EXPECT_LT(io::save(c, s->sk).size(), kHeader + 1 + 8 * c.n() * (L + 2));
}

// ---- bad input ----

TEST_P(SerializeTest, TruncatedInputIsRefused) {
  for (const auto& o : every_object()) {
    SCOPED_TRACE(o.what);
    const Bytes& b = o.bytes;
    std::vector<std::size_t> lengths;
    if (small() || b.size() <= 4096) {
      for (std::size_t len = 0; len < b.size(); ++len) lengths.push_back(len);
    } else {
      for (std::size_t len = 0; len < 200; ++len) lengths.push_back(len);
      for (std::size_t len = 200; len < b.size(); len += b.size() / 97 + 1) lengths.push_back(len);
      lengths.push_back(b.size() - 1);
    }
    for (std::size_t len : lengths) {
      Bytes cut(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(len));
      EXPECT_FORMAT_ERROR(o.load(cut), "envelope");
    }
    // Truncated payloads behind a valid envelope reach the payload parser.
    Bytes p = payload_of(b);
    for (std::size_t len : {std::size_t{0}, std::size_t{1}, p.size() / 2, p.size() - 1}) {
      Bytes cut(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(len));
      EXPECT_FORMAT_ERROR(o.load(reseal(b, cut)), "truncated");
    }
  }
}

TEST_P(SerializeTest, EveryFlippedByteIsCaught) {
  for (const auto& o : every_object()) {
    SCOPED_TRACE(o.what);
    const Bytes& b = o.bytes;
    const std::size_t step = small() ? 1 : b.size() / 300 + 1;
    for (std::size_t i = 0; i < b.size(); i += step) {
      for (std::uint8_t flip : {0x01, 0x80}) {
        Bytes bad = b;
        bad[i] ^= flip;
        const std::string msg = format_error([&] { o.load(bad); });
        EXPECT_EQ(msg.rfind("envelope: ", 0), 0u) << "byte " << i << ": " << msg;
        if (i >= io::kEnvelopeChecksumOffset) {
          EXPECT_NE(msg.find("checksum"), std::string::npos) << "byte " << i << ": " << msg;
        }
      }
    }
  }
}

TEST_P(SerializeTest, TrailingBytesAreRefused) {
  for (const auto& o : every_object()) {
    SCOPED_TRACE(o.what);
    Bytes longer = o.bytes;
    longer.push_back(0);
    EXPECT_FORMAT_ERROR(o.load(longer), "envelope");
    Bytes p = payload_of(o.bytes);
    p.push_back(0);
    EXPECT_FORMAT_ERROR(o.load(reseal(o.bytes, p)), "trailing bytes");
  }
}

TEST_P(SerializeTest, WrongObjectTypeIsRefused) {
  auto objects = every_object();
  for (const auto& loader : objects) {
    for (const auto& o : objects) {
      if (&o == &loader) continue;
      SCOPED_TRACE(std::string(loader.what) + " loader given " + o.what);
      EXPECT_FORMAT_ERROR(loader.load(o.bytes), "expected object type");
    }
  }
}

TEST_P(SerializeTest, ObjectsOfAnotherParameterSetAreRefused) {
  ParameterLiteral lit;
  lit.scheme = Scheme::kCkks;
  lit.n = 32;
  lit.q_bits = {30, 29};
  lit.p_bits = 31;
  lit.insecure_opt_out_for_test = kOptOut;
  auto other = rlwe::Context::create(lit);
  ASSERT_NE(other->id(), ctx().id());
  rlwe::KeyGenerator kg(other);
  auto osk = kg.secret_key();
  const auto& c = ctx();
  EXPECT_FORMAT_ERROR(io::load_secret_key(c, io::save(*other, osk)), "parameter id");
  EXPECT_FORMAT_ERROR(io::load_public_key(c, io::save(*other, kg.public_key(osk))), "parameter id");
  // Every loader checks the envelope's id against its context's.
  for (const auto& o : every_object()) {
    if (type_of(o.bytes) == ObjectType::Parameters) continue;
    SCOPED_TRACE(o.what);
    EXPECT_FORMAT_ERROR(o.load(reseal(o.bytes, payload_of(o.bytes), c.id() ^ 1)), "parameter id");
  }
  // Saving an object with the wrong context is a caller error.
  EXPECT_THROW((void)io::save(c, osk), rlwe::MismatchError);
  auto ct = fresh_ct();
  EXPECT_THROW((void)io::save(*other, ct), rlwe::MismatchError);
}

TEST_P(SerializeTest, CoefficientsNotBelowTheirPrimeAreRefused) {
  const auto& c = ctx();
  const auto& basis = c.key_basis();
  Bytes sk = io::save(c, s->sk);
  std::size_t off = 1;  // after the form byte
  for (std::size_t i = 0; i < basis.size(); ++i) {
    const auto& q = basis.modulus(i);
    SCOPED_TRACE("limb " + std::to_string(i));
    for (u64 v : {q.value(), q.value() + 1, (u64{1} << q.bits()) - 1}) {
      const std::size_t j = i == 0 ? 0 : c.n() - 1;
      EXPECT_FORMAT_ERROR(
          io::load_secret_key(c, edit(sk, [&](Bytes& p) { set_packed(p, off, j, q.bits(), v); })),
          "coefficient " + std::to_string(j) + " = " + std::to_string(v) +
              " is not below its prime " + std::to_string(q.value()));
    }
    // q - 1 is a valid residue.
    auto ok = io::load_secret_key(
        c, edit(sk, [&](Bytes& p) { set_packed(p, off, 3, q.bits(), q.value() - 1); }));
    EXPECT_EQ(ok.s.limb(i)[3], q.value() - 1);
    off += packed(c.n(), q.bits());
  }
  // The same check in a ciphertext's second polynomial.
  auto ct = fresh_ct();
  Bytes bc = io::save(c, ct);
  const auto& q0 = c.basis_q(c.max_level()).modulus(0);
  std::size_t second = 24 + (io::save(c, ct).size() - kHeader - 24) / 2;
  EXPECT_FORMAT_ERROR(
      io::load_ciphertext(
          c, edit(bc, [&](Bytes& p) { set_packed(p, second + 1, 5, q0.bits(), q0.value()); })),
      "not below its prime");
}

TEST_P(SerializeTest, WrongFormIsRefused) {
  const auto& c = ctx();
  EXPECT_FORMAT_ERROR(io::load_secret_key(c, edit(io::save(c, s->sk), [](Bytes& p) { p[0] = 0; })),
                      "expected evaluation form");
  EXPECT_FORMAT_ERROR(
      io::load_ciphertext(c, edit(io::save(c, fresh_ct()), [](Bytes& p) { p[24] = 7; })),
      "expected evaluation form (1), got 7");
  // Saving a coefficient-form polynomial would write something no loader accepts.
  auto pt = s->encode(s->random_values(), 0);
  pt.poly.set_form(ring::Form::kCoeff);
  EXPECT_THROW((void)io::save(c, pt), std::invalid_argument);
}

TEST_P(SerializeTest, WrongLevelIsRefused) {
  const auto& c = ctx();
  const u64 top = c.max_level();
  auto pt = s->encode(s->random_values(), top);
  Bytes bp = io::save(c, pt);
  for (u64 bad : {top + 1, u64{1000}, ~u64{0}}) {
    EXPECT_FORMAT_ERROR(io::load_plaintext(c, edit(bp, [&](Bytes& p) { put_le(p, 0, bad, 8); })),
                        "level: got " + std::to_string(bad));
  }
  auto ct = fresh_ct();
  Bytes bc = io::save(c, ct);
  EXPECT_FORMAT_ERROR(io::load_ciphertext(c, edit(bc, [&](Bytes& p) { put_le(p, 0, top + 1, 8); })),
                      "level: got");
  auto sct = rlwe::Encryptor(s->ctx, s->sk).encrypt_seeded(pt);
  Bytes bs = io::save(c, sct);
  EXPECT_FORMAT_ERROR(
      io::load_seeded_ciphertext(c, edit(bs, [&](Bytes& p) { put_le(p, 0, top + 1, 8); })),
      "level: got");
  // A level that does not match the number of limbs that follow.
  if (top > 0) {
    EXPECT_FORMAT_ERROR(io::load_plaintext(c, edit(bp, [&](Bytes& p) { put_le(p, 0, 0, 8); })),
                        "trailing bytes");
    // (Read at level 0, the second polynomial starts inside the first's data:
    // its form byte or the bytes left over give the error.)
    EXPECT_FORMAT_ERROR(io::load_ciphertext(c, edit(bc, [&](Bytes& p) { put_le(p, 0, 0, 8); })),
                        "");
    Ciphertext low;
    rlwe::Evaluator(s->ctx).drop_to_level(ct, 0, low);
    EXPECT_FORMAT_ERROR(
        io::load_ciphertext(c, edit(io::save(c, low), [&](Bytes& p) { put_le(p, 0, top, 8); })),
        "truncated");
  }
}

TEST_P(SerializeTest, WrongKeyPartCountIsRefused) {
  const auto& c = ctx();
  Bytes rk = io::save(c, s->rk);
  const u64 parts = c.max_level() + 1;
  for (u64 bad : {u64{0}, parts - 1, parts + 1, u64{0xffffffff}}) {
    if (bad == parts) continue;
    EXPECT_FORMAT_ERROR(
        io::load_relin_key(c, edit(rk, [&](Bytes& p) { put_le(p, 0, bad, 4); })),
        "key parts: got " + std::to_string(bad) + ", expected " + std::to_string(parts));
  }
  Bytes gk = io::save(c, s->gk);
  EXPECT_FORMAT_ERROR(io::load_galois_keys(c, edit(gk, [&](Bytes& p) { put_le(p, 16, 0, 4); })),
                      "key parts: got 0");
}

TEST_P(SerializeTest, CiphertextSizeOutsideOneToSixteenIsRefused) {
  const auto& c = ctx();
  Bytes bc = io::save(c, fresh_ct());
  ASSERT_EQ(get_le(payload_of(bc), 16, 8), 2u);
  EXPECT_FORMAT_ERROR(io::load_ciphertext(c, edit(bc, [](Bytes& p) { put_le(p, 16, 0, 8); })),
                      "ciphertext size: got 0");
  EXPECT_FORMAT_ERROR(io::load_ciphertext(c, edit(bc, [](Bytes& p) { put_le(p, 16, 17, 8); })),
                      "'ciphertext size' is 17, expected at most 16");
  EXPECT_FORMAT_ERROR(io::load_ciphertext(c, edit(bc, [](Bytes& p) { put_le(p, 16, ~u64{0}, 8); })),
                      "ciphertext size");
  // A size within the limit but beyond the polynomials present.
  EXPECT_FORMAT_ERROR(io::load_ciphertext(c, edit(bc, [](Bytes& p) { put_le(p, 16, 3, 8); })),
                      "truncated");
  // And one below: the rest is trailing.
  EXPECT_FORMAT_ERROR(io::load_ciphertext(c, edit(bc, [](Bytes& p) { put_le(p, 16, 1, 8); })),
                      "trailing bytes");
  // Saving sizes outside [1, 16] is refused too.
  Ciphertext empty = fresh_ct();
  empty.polys.clear();
  EXPECT_THROW((void)io::save(c, empty), std::invalid_argument);
}

TEST_P(SerializeTest, BadScalesAreRefused) {
  const auto& c = ctx();
  Bytes bc = io::save(c, fresh_ct());
  Bytes bp = io::save(c, s->encode(s->random_values(), 0));
  auto sct = rlwe::Encryptor(s->ctx, s->sk).encrypt_seeded(s->encode(s->random_values(), 0));
  Bytes bs = io::save(c, sct);
  const double inf = std::numeric_limits<double>::infinity();
  for (double bad : {std::nan(""), -std::nan(""), -1.0, 0.0, -0.0, inf, -inf}) {
    SCOPED_TRACE(bad);
    auto set = [bad](Bytes& p) { put_f64(p, 8, bad); };
    EXPECT_FORMAT_ERROR(io::load_ciphertext(c, edit(bc, set)),
                        "scale: must be finite and positive");
    EXPECT_FORMAT_ERROR(io::load_plaintext(c, edit(bp, set)), "scale: must be finite and positive");
    EXPECT_FORMAT_ERROR(io::load_seeded_ciphertext(c, edit(bs, set)),
                        "scale: must be finite and positive");
  }
  auto two = [](Bytes& p) { put_f64(p, 8, 2.0); };
  if (s->bgv()) {
    EXPECT_FORMAT_ERROR(io::load_ciphertext(c, edit(bc, two)), "BGV objects have scale 1");
    EXPECT_FORMAT_ERROR(io::load_plaintext(c, edit(bp, two)), "BGV objects have scale 1");
    EXPECT_FORMAT_ERROR(io::load_seeded_ciphertext(c, edit(bs, two)), "BGV objects have scale 1");
  } else {
    EXPECT_EQ(io::load_ciphertext(c, edit(bc, two)).scale, 2.0);
  }
}

TEST_P(SerializeTest, BadGaloisElementsAreRefused) {
  const auto& c = ctx();
  Bytes gk = io::save(c, s->gk);
  ASSERT_EQ(s->gk.keys.size(), 2u);
  std::size_t key_poly = 1;
  for (std::size_t i = 0; i < c.key_basis().size(); ++i) {
    key_poly += packed(c.n(), c.key_basis().modulus(i).bits());
  }
  const std::size_t one = 8 + 4 + 2 * (c.max_level() + 1) * key_poly;
  ASSERT_EQ(payload_of(gk).size(), 8 + 2 * one);
  const std::size_t e0 = 8, e1 = 8 + one;
  const u64 g0 = s->gk.keys.begin()->first, g1 = s->gk.keys.rbegin()->first;
  ASSERT_EQ(get_le(payload_of(gk), e0, 8), g0);
  ASSERT_EQ(get_le(payload_of(gk), e1, 8), g1);
  const u64 two_n = 2 * c.n();

  // Not ascending: swapped, or repeated.
  EXPECT_FORMAT_ERROR(io::load_galois_keys(c, edit(gk,
                                                   [&](Bytes& p) {
                                                     put_le(p, e0, g1, 8);
                                                     put_le(p, e1, g0, 8);
                                                   })),
                      "must be strictly ascending");
  EXPECT_FORMAT_ERROR(io::load_galois_keys(c, edit(gk, [&](Bytes& p) { put_le(p, e1, g0, 8); })),
                      "is not above the previous one");
  // Even, zero, out of range.
  for (u64 bad : {u64{0}, u64{2}, g0 + 1, two_n, two_n + 1, ~u64{0}}) {
    SCOPED_TRACE(bad);
    EXPECT_FORMAT_ERROR(io::load_galois_keys(c, edit(gk, [&](Bytes& p) { put_le(p, e0, bad, 8); })),
                        "Galois element must be odd and in [1, 2N = " + std::to_string(two_n) +
                            "), got " + std::to_string(bad));
  }
  // Counts: more keys than odd elements below 2N, more than present, fewer.
  EXPECT_FORMAT_ERROR(
      io::load_galois_keys(c, edit(gk, [&](Bytes& p) { put_le(p, 0, c.n() + 1, 8); })),
      "count too large");
  EXPECT_FORMAT_ERROR(io::load_galois_keys(c, edit(gk, [&](Bytes& p) { put_le(p, 0, 3, 8); })),
                      "truncated");
  EXPECT_FORMAT_ERROR(io::load_galois_keys(c, edit(gk, [&](Bytes& p) { put_le(p, 0, 1, 8); })),
                      "trailing bytes");
  // The identity (1) and conjugation (2N - 1) are valid elements.
  auto ok = io::load_galois_keys(c, edit(gk, [&](Bytes& p) { put_le(p, e0, 1, 8); }));
  EXPECT_TRUE(ok.has(1));
}

INSTANTIATE_TEST_SUITE_P(
    Sets, SerializeTest,
    ::testing::Values(Case{"ckks4096", Scheme::kCkks, 4096, {36, 36}, 37, 0, 0x1p30, false},
                      Case{"bgv4096", Scheme::kBgv, 4096, {36, 36}, 37, 65537, 1, false},
                      Case{"ckks32", Scheme::kCkks, 32, {40, 40}, 41, 0, 0x1p30, true},
                      Case{"bgv32", Scheme::kBgv, 32, {30, 30}, 31, 257, 1, true},
                      Case{"ckks16x3", Scheme::kCkks, 16, {30, 25, 25}, 30, 0, 0x1p22, true}),
    [](const auto& info) { return std::string(info.param.name); });

// ---- parameter sets ----

ParameterLiteral small_ckks() {
  ParameterLiteral lit;
  lit.scheme = Scheme::kCkks;
  lit.n = 32;
  lit.q_bits = {30, 30};
  lit.p_bits = 31;
  lit.insecure_opt_out_for_test = kOptOut;
  return lit;
}

TEST(SerializeParameters, InsecureSetsAreRefusedUnlessOptedOut) {
  // Too large a modulus for N = 1024, and N = 32 (below the smallest secure N).
  ParameterLiteral big_q = small_ckks();
  big_q.n = 1024;
  for (const auto& [lit, why] : {std::pair{big_q, "below 128-bit security"},
                                 std::pair{small_ckks(), "N must be in [1024, 32768], got 32"}}) {
    auto p = rlwe::Parameters::create(lit);
    ASSERT_FALSE(p->secure_128());
    Bytes b = io::save_parameters(*p);
    try {
      (void)io::load_parameters(b);
      ADD_FAILURE() << "insecure set accepted";
    } catch (const rlwe::ParameterError& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
    expect_equal(*io::load_parameters(b, kOptOut), *p);
  }
}

TEST(SerializeParameters, IdMustMatchTheEnvelope) {
  auto p = rlwe::Parameters::create(small_ckks());
  Bytes b = io::save_parameters(*p);
  EXPECT_FORMAT_ERROR(io::load_parameters(reseal(b, payload_of(b), p->id() ^ 1), kOptOut),
                      "parameter id: envelope says");
  EXPECT_FORMAT_ERROR(io::load_parameters(reseal(b, payload_of(b), 0), kOptOut),
                      "parameter id: envelope says");
  // The same payload with a changed prime describes another set with another id.
  ParameterLiteral lit = small_ckks();
  lit.q_bits = {30, 29};
  auto other = rlwe::Parameters::create(lit);
  Bytes bo = io::save_parameters(*other);
  EXPECT_FORMAT_ERROR(io::load_parameters(reseal(bo, payload_of(bo), p->id()), kOptOut),
                      "parameter id");
}

TEST(SerializeParameters, MalformedPayloadsAreRefused) {
  auto p = rlwe::Parameters::create(small_ckks());
  Bytes b = io::save_parameters(*p);
  // Layout: scheme u8, N u64, count u64, primes, P u64, t u64.
  EXPECT_FORMAT_ERROR(io::load_parameters(edit(b, [](Bytes& x) { x[0] = 3; }), kOptOut),
                      "scheme: got 3");
  EXPECT_FORMAT_ERROR(io::load_parameters(edit(b, [](Bytes& x) { x[0] = 0; }), kOptOut),
                      "scheme: got 0");
  EXPECT_FORMAT_ERROR(io::load_parameters(edit(b, [](Bytes& x) { put_le(x, 9, 0, 8); }), kOptOut),
                      "prime count: must be at least 1");
  EXPECT_FORMAT_ERROR(io::load_parameters(edit(b, [](Bytes& x) { put_le(x, 9, 65, 8); }), kOptOut),
                      "count too large");
  EXPECT_FORMAT_ERROR(io::load_parameters(edit(b, [](Bytes& x) { put_le(x, 9, 3, 8); }), kOptOut),
                      "truncated");
  EXPECT_FORMAT_ERROR(io::load_parameters(edit(b, [](Bytes& x) { put_le(x, 9, 1, 8); }), kOptOut),
                      "trailing bytes");
  EXPECT_FORMAT_ERROR(io::load_parameters(edit(b, [](Bytes& x) { put_le(x, 17, 0, 8); }), kOptOut),
                      "primes: q_0 is 0");
  EXPECT_FORMAT_ERROR(io::load_parameters(edit(b, [](Bytes& x) { put_le(x, 33, 0, 8); }), kOptOut),
                      "special prime: is 0");
  // Parameter sets that Parameters::create refuses: ParameterError.
  EXPECT_THROW((void)io::load_parameters(edit(b, [](Bytes& x) { put_le(x, 1, 48, 8); }), kOptOut),
               rlwe::ParameterError);  // N not a power of two
  EXPECT_THROW((void)io::load_parameters(edit(b, [](Bytes& x) { put_le(x, 17, 1, 8); }), kOptOut),
               rlwe::ParameterError);  // 1 is not prime
  EXPECT_THROW(
      (void)io::load_parameters(edit(b, [](Bytes& x) { put_le(x, 17, ~u64{0}, 8); }), kOptOut),
      rlwe::ParameterError);  // 64 bits
  EXPECT_THROW((void)io::load_parameters(edit(b, [](Bytes& x) { put_le(x, 41, 5, 8); }), kOptOut),
               rlwe::ParameterError);  // CKKS with t
  // Truncation and trailing bytes behind a valid envelope.
  Bytes pl = payload_of(b);
  for (std::size_t len = 0; len < pl.size(); ++len) {
    Bytes cut(pl.begin(), pl.begin() + static_cast<std::ptrdiff_t>(len));
    EXPECT_FORMAT_ERROR(io::load_parameters(reseal(b, cut), kOptOut), "truncated");
  }
}

TEST(SerializeParameters, SecureSetsRoundTripWithoutOptOut) {
  for (Scheme scheme : {Scheme::kCkks, Scheme::kBgv}) {
    ParameterLiteral lit;
    lit.scheme = scheme;
    lit.n = 8192;
    lit.q_bits = {55, 55, 50};
    lit.p_bits = 55;
    lit.t = scheme == Scheme::kBgv ? 65537 : 0;
    auto p = rlwe::Parameters::create(lit);
    Bytes b = io::save_parameters(*p);
    auto back = io::load_parameters(b);
    expect_equal(*back, *p);
    EXPECT_EQ(io::save_parameters(*back), b);
  }
}

}  // namespace

#include "veil/search/config.h"

#include <sodium.h>

#include <bit>
#include <cmath>
#include <sstream>

#include "veil/io/byte_io.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/math/primes.h"
#include "veil/ring/sampler.h"
#include "veil/rlwe/errors.h"
#include "veil/search/layout.h"

namespace veil::search {

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw rlwe::ParameterError("search config: " + what);
}

std::size_t levels_for(std::size_t d) { return d <= 1 ? 0 : std::bit_width(d - 1); }

// Per-coefficient noise variance of a fresh encryption (coefficient form).
double fresh_variance(Encryption e, std::size_t n) {
  const double s2 = ring::kNoiseStdDev * ring::kNoiseStdDev;
  // Public key (b, a) = (-a s + e, a): c0 + c1 s = e u + e0 + e1 s + m, with
  // u and s ternary (variance 2/3 per coefficient, n products each).
  return e == Encryption::kSecretKey ? s2 : s2 * (1.0 + 4.0 * n / 3.0);
}

// The rounding of a key switch's division by P leaves e0 + e1 s with e0, e1
// uniform in [-1/2, 1/2]: variance (1 + 2n/3) / 12. The digit products divided
// by P (P >= 2^50, digits < 2^29) are far below that and ignored.
double key_switch_variance(std::size_t n) { return (1.0 + 2.0 * n / 3.0) / 12.0; }

// Rounding (x0, x1) to the response prime on the server and the mask term
// on the key holder: e0 + e1 s + e2, each e uniform in [-1/2, 1/2].
double response_rounding_variance(std::size_t n) {
  const double dn = static_cast<double>(n);
  return (2.0 + 2.0 * dn / 3.0) / 12.0;
}

struct Terms {
  double a, b, c, r, max_score;
};

// Variance of a score coefficient = Delta_g^2 a + Delta_q^2 b + c + r:
//  a: Delta_g G~_j * e_probe,j summed over j (each |G~_j|^2 sums to <= n (s+rho)^2 over j);
//  b: Delta_q q~_j e_gallery,j summed over j;
//  c: e_gallery * e_probe (n terms, d dimensions);
//  r: the response rounding, in units of Q.
Terms terms(std::size_t n, std::size_t d, double probe_var, double gallery_var, double s,
            double q_over_p) {
  const double rho = std::sqrt(static_cast<double>(d)) / 2.0;
  const double norm2 = (s + rho) * (s + rho);
  Terms t;
  t.a = probe_var * n * norm2;
  t.b = gallery_var * norm2;
  t.c = gallery_var * probe_var * n * d;
  t.r = q_over_p * q_over_p * response_rounding_variance(n);
  t.max_score = norm2;
  return t;
}

struct Choice {
  double decode = 0, wrap = 0;
  std::uint64_t dg = 0, dq = 0;
  double worst() const { return std::min(decode, wrap); }
};

Choice evaluate(const Terms& t, double big_q, std::uint64_t dg, std::uint64_t dq) {
  const double g = static_cast<double>(dg), q = static_cast<double>(dq);
  const double sd = std::sqrt(g * g * t.a + q * q * t.b + t.c + t.r);
  Choice c;
  c.dg = dg;
  c.dq = dq;
  c.decode = g * q / 2.0 / sd;
  c.wrap = (big_q / 2.0 - t.max_score * g * q) / sd;
  return c;
}

// Best encoding factors on a quarter-bit grid: maximise the smaller margin.
Choice best_deltas(const Terms& t, double big_q, std::uint64_t limit) {
  Choice best;
  for (int i = 0; i <= 4 * 29; ++i) {
    const auto dg = static_cast<std::uint64_t>(std::llround(std::exp2(i / 4.0)));
    if (dg >= limit) break;
    for (int j = 0; j <= 4 * 29; ++j) {
      const auto dq = static_cast<std::uint64_t>(std::llround(std::exp2(j / 4.0)));
      if (dq >= limit) break;
      Choice c = evaluate(t, big_q, dg, dq);
      if (c.worst() > best.worst()) best = c;
    }
  }
  return best;
}

double probe_variance(const SearchConfig& c) {
  const double levels = std::exp2(static_cast<double>(c.expansion_levels));
  return levels * fresh_variance(c.probe, c.n) + (levels - 1.0) * key_switch_variance(c.n);
}

}  // namespace

std::string to_string(Encryption e) {
  return e == Encryption::kSecretKey   ? "secret-key"
         : e == Encryption::kPublicKey ? "public-key"
                                       : "unknown";
}

SearchConfig SearchConfig::derive(const SearchOptions& o) {
  if (o.dimension == 0 || o.dimension > kMaxDimension) {
    fail("dimension must be in [1, " + std::to_string(kMaxDimension) + "], got " +
         std::to_string(o.dimension));
  }
  if (o.quant_scale > kMaxExplicitQuantScale) {
    fail("quantisation scale must be at most " + std::to_string(kMaxExplicitQuantScale) + ", got " +
         std::to_string(o.quant_scale));
  }
  SearchConfig c;
  c.dimension = o.dimension;
  c.expansion_levels = levels_for(o.dimension);
  c.gallery = o.gallery;
  c.probe = o.probe;
  rlwe::ParameterLiteral lit;
  lit.scheme = rlwe::Scheme::kCkks;
  lit.n = c.n;
  lit.q_bits = {kPrimeBits, kPrimeBits};
  lit.p_bits = kSpecialPrimeBits;
  auto params = rlwe::Parameters::create(lit);
  c.q = params->q();
  c.special_prime = params->p();
  std::vector<std::uint64_t> taken = c.q;
  taken.push_back(c.special_prime);
  c.response_prime = math::generate_primes(kResponseBits, 1, 2 * c.n, taken)[0];

  const double big_q = c.q_product();
  const double q_over_p = big_q / static_cast<double>(c.response_prime);
  const double pv = probe_variance(c);
  const double gv = fresh_variance(c.gallery, c.n);
  const std::uint64_t limit = std::min(c.q[0], c.q[1]);
  const std::uint32_t top = o.quant_scale ? o.quant_scale : kMaxQuantScale;
  const std::uint32_t bottom = o.quant_scale ? o.quant_scale : 1;
  for (std::uint32_t s = top; s >= bottom; --s) {
    Choice ch = best_deltas(terms(c.n, c.dimension, pv, gv, s, q_over_p), big_q, limit);
    if (ch.worst() >= kRequiredSigmas) {
      c.quant_scale = s;
      c.gallery_delta = ch.dg;
      c.probe_delta = ch.dq;
      return c;
    }
    if (s == bottom) {
      std::ostringstream os;
      os << "no encoding meets the noise bound for d=" << c.dimension << ", gallery "
         << to_string(c.gallery) << ", probe " << to_string(c.probe) << ", scale " << s
         << " (best margin " << ch.worst() << " sigma, need " << kRequiredSigmas << ")";
      fail(os.str());
    }
  }
  fail("unreachable");
}

rlwe::ParameterLiteral SearchConfig::parameter_literal() const {
  rlwe::ParameterLiteral lit;
  lit.scheme = rlwe::Scheme::kCkks;
  lit.n = n;
  lit.q_primes = q;
  lit.p_prime = special_prime;
  return lit;
}

std::vector<std::uint64_t> SearchConfig::galois_elements() const {
  std::vector<std::uint64_t> elts;
  for (std::size_t j = 0; j < expansion_levels; ++j) elts.push_back((n >> j) + 1);
  return elts;
}

std::size_t SearchConfig::mask_words() const {
  // A seed (8 words) padded to 64 bytes, or `a` itself: 2 primes x n words.
  return gallery == Encryption::kSecretKey ? 16 : kPrimes * n;
}

std::size_t SearchConfig::block_words() const { return mask_words() + gallery_words(n, dimension); }

std::int64_t SearchConfig::max_abs_score() const {
  const double rho = std::sqrt(static_cast<double>(dimension)) / 2.0;
  return static_cast<std::int64_t>(std::floor((quant_scale + rho) * (quant_scale + rho)));
}

double SearchConfig::q_product() const {
  double p = 1;
  for (auto qi : q) p *= static_cast<double>(qi);
  return p;
}

double SearchConfig::response_unit() const {
  return static_cast<double>(gallery_delta) * static_cast<double>(probe_delta) *
         static_cast<double>(response_prime) / q_product();
}

NoiseReport SearchConfig::noise() const {
  const double big_q = q_product();
  const double q_over_p = big_q / static_cast<double>(response_prime);
  const double pv = probe_variance(*this);
  Terms t = terms(n, dimension, pv, fresh_variance(gallery, n), quant_scale, q_over_p);
  const double g = static_cast<double>(gallery_delta), qd = static_cast<double>(probe_delta);
  NoiseReport r;
  r.probe_stddev = std::sqrt(pv);
  r.score_stddev = std::sqrt(g * g * t.a + qd * qd * t.b + t.c);
  r.rounding_stddev = std::sqrt(t.r);
  r.total_stddev = std::sqrt(r.score_stddev * r.score_stddev + t.r);
  Choice c = evaluate(t, big_q, gallery_delta, probe_delta);
  r.decode_sigmas = c.decode;
  r.wrap_sigmas = c.wrap;
  return r;
}

std::string SearchConfig::describe() const {
  std::ostringstream os;
  NoiseReport r = noise();
  os << "N=" << n << " d=" << dimension << " q=[" << q[0] << ", " << q[1] << "] P=" << special_prime
     << " response prime=" << response_prime << " scale=" << quant_scale
     << " Delta_g=" << gallery_delta << " Delta_q=" << probe_delta
     << " gallery=" << to_string(gallery) << " probe=" << to_string(probe) << " margins: decode "
     << r.decode_sigmas << " sigma, wrap " << r.wrap_sigmas << " sigma";
  return os.str();
}

void SearchConfig::validate() const {
  if (n != kRingDegree) fail("ring degree must be " + std::to_string(kRingDegree));
  if (dimension == 0 || dimension > kMaxDimension) fail("dimension out of range");
  if (expansion_levels != levels_for(dimension))
    fail("expansion levels do not match the dimension");
  if (q.size() != 2) fail("two ciphertext primes expected");
  for (auto p : {q[0], q[1], response_prime}) {
    if (!math::is_prime(p) || p % (2 * n) != 1)
      fail("prime " + std::to_string(p) + " is not NTT-friendly");
  }
  if (q[0] == q[1] || q[0] >> kPrimeBits || q[1] >> kPrimeBits)
    fail("ciphertext primes must be distinct and below 2^" + std::to_string(kPrimeBits));
  if (response_prime >> kResponseBits) fail("response prime too large");
  if (gallery != Encryption::kSecretKey && gallery != Encryption::kPublicKey)
    fail("bad gallery encryption");
  if (probe != Encryption::kSecretKey && probe != Encryption::kPublicKey)
    fail("bad probe encryption");
  if (quant_scale == 0 || quant_scale > kMaxExplicitQuantScale)
    fail("quantisation scale out of range");
  const std::uint64_t limit = std::min(q[0], q[1]);
  if (gallery_delta == 0 || probe_delta == 0 || gallery_delta >= limit || probe_delta >= limit)
    fail("encoding factors out of range");
  rlwe::Parameters::create(parameter_literal());  // 128-bit security and prime checks
  NoiseReport r = noise();
  if (std::min(r.decode_sigmas, r.wrap_sigmas) < kRequiredSigmas) {
    std::ostringstream os;
    os << "noise margin " << std::min(r.decode_sigmas, r.wrap_sigmas) << " sigma is below "
       << kRequiredSigmas;
    fail(os.str());
  }
}

namespace {
// Version 2: shared-mask galleries (one `a` per block, a secret per
// dimension); version 1 stores are refused.
constexpr std::uint32_t kConfigVersion = 2;

std::vector<std::uint8_t> config_payload(const SearchConfig& c) {
  io::ByteWriter w;
  w.put_u32(kConfigVersion);
  w.put_u64(c.n);
  w.put_u64(c.dimension);
  w.put_u64(c.expansion_levels);
  w.put_u64(c.q.size());
  w.put_u64_array(c.q);
  w.put_u64(c.special_prime);
  w.put_u64(c.response_prime);
  w.put_u32(c.quant_scale);
  w.put_u64(c.gallery_delta);
  w.put_u64(c.probe_delta);
  w.put_u8(static_cast<std::uint8_t>(c.gallery));
  w.put_u8(static_cast<std::uint8_t>(c.probe));
  return w.take();
}
}  // namespace

std::uint64_t SearchConfig::id() const {
  const auto payload = config_payload(*this);
  unsigned char out[8];
  crypto_generichash(out, sizeof out, payload.data(), payload.size(), nullptr, 0);
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | out[i];
  return v;
}

std::vector<std::uint8_t> save_config(const SearchConfig& c, std::uint64_t param_id) {
  return io::seal_envelope(io::ObjectType::SearchConfig, param_id, config_payload(c));
}

SearchConfig load_config(std::span<const std::uint8_t> bytes) {
  auto env = io::open_envelope(bytes, io::ObjectType::SearchConfig, std::nullopt, 4096);
  io::ByteReader r(env.payload);
  const auto version = r.get_u32("version");
  if (version != kConfigVersion) {
    throw io::FormatError(
        "search config: version " + std::to_string(version) + ", expected " +
        std::to_string(kConfigVersion) +
        (version == 1 ? " (a gallery from an older Veil layout: re-enroll it)" : ""));
  }
  SearchConfig c;
  c.n = r.get_u64("n");
  c.dimension = r.get_u64("dimension");
  c.expansion_levels = r.get_u64("expansion levels");
  c.q = r.get_u64_vector("primes", r.get_count("prime count", 2, 8));
  c.special_prime = r.get_u64("special prime");
  c.response_prime = r.get_u64("response prime");
  c.quant_scale = r.get_u32("quantisation scale");
  c.gallery_delta = r.get_u64("gallery delta");
  c.probe_delta = r.get_u64("probe delta");
  c.gallery = static_cast<Encryption>(r.get_u8("gallery encryption"));
  c.probe = static_cast<Encryption>(r.get_u8("probe encryption"));
  r.expect_end();
  try {
    c.validate();
  } catch (const rlwe::ParameterError& e) {
    throw io::FormatError(std::string("search config: invalid: ") + e.what());
  }
  if (rlwe::Parameters::create(c.parameter_literal())->id() != env.param_id) {
    throw io::FormatError("search config: parameter id in the header does not match the primes");
  }
  return c;
}

}  // namespace veil::search

#include "veil/rlwe/params.h"

#include <sodium.h>

#include <algorithm>
#include <numeric>
#include <sstream>

#include "veil/math/bitops.h"
#include "veil/math/primes.h"
#include "veil/ring/xof.h"
#include "veil/rlwe/errors.h"
#include "veil/rlwe/security.h"

namespace veil::rlwe {

using math::u64;

std::string to_string(Scheme s) { return s == Scheme::kBgv ? "BGV" : "CKKS"; }

std::string hex_id(std::uint64_t id) {
  char buf[19];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id));
  return buf;
}

void require_param_id(std::uint64_t got, std::uint64_t expected, const char* what) {
  if (got != expected) {
    throw MismatchError(std::string(what) + ": object belongs to parameter set " + hex_id(got) +
                        ", expected " + hex_id(expected));
  }
}

namespace {

[[noreturn]] void fail(const std::string& msg) { throw ParameterError("parameters: " + msg); }

int bit_length(u64 x) { return 64 - __builtin_clzll(x); }

u64 lcm_checked(u64 a, u64 b) {
  u64 g = std::gcd(a, b);
  unsigned __int128 l = static_cast<unsigned __int128>(a / g) * b;
  if (l >> 62) fail("lcm(2N, t) is too large for NTT-friendly primes that are 1 mod t");
  return static_cast<u64>(l);
}

u64 compute_id(Scheme s, std::size_t n, const std::vector<u64>& q, u64 p, u64 t) {
  ring::ensure_sodium();
  std::vector<u64> words = {0x7665696c2d703031ull /* "veil-p01" */, static_cast<u64>(s), n,
                            q.size()};
  words.insert(words.end(), q.begin(), q.end());
  words.push_back(p);
  words.push_back(t);
  unsigned char out[8];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(words.data()),
                     words.size() * sizeof(u64), nullptr, 0);
  u64 id = 0;
  for (int i = 0; i < 8; ++i) id |= static_cast<u64>(out[i]) << (8 * i);
  return id == 0 ? 1 : id;  // 0 means "no parameter set" in envelopes
}

}  // namespace

std::shared_ptr<const Parameters> Parameters::create(const ParameterLiteral& lit) {
  const bool opt_out = !lit.insecure_opt_out_for_test.empty();
  const std::size_t n = lit.n;
  if (!math::is_power_of_two(n)) fail("N must be a power of two, got " + std::to_string(n));
  const std::size_t min_n = opt_out ? 16 : 1024;
  if (n < min_n || n > 32768) {
    fail("N must be in [" + std::to_string(min_n) + ", 32768], got " + std::to_string(n));
  }
  if (lit.scheme != Scheme::kBgv && lit.scheme != Scheme::kCkks) fail("unknown scheme");

  const bool bgv = lit.scheme == Scheme::kBgv;
  u64 congruence = 2 * n;
  if (bgv) {
    if (lit.t < 2) fail("BGV needs a plaintext modulus t >= 2, got " + std::to_string(lit.t));
    if (bit_length(lit.t) > 60) fail("plaintext modulus t must be below 2^60");
    congruence = lcm_checked(congruence, lit.t);
  } else if (lit.t != 0) {
    fail("CKKS takes no plaintext modulus t (got " + std::to_string(lit.t) + ")");
  }

  auto p = std::shared_ptr<Parameters>(new Parameters());
  p->scheme_ = lit.scheme;
  p->n_ = n;
  p->t_ = bgv ? lit.t : 0;

  // Ciphertext primes.
  if (!lit.q_primes.empty() && !lit.q_bits.empty()) fail("give q_bits or q_primes, not both");
  if (lit.q_primes.empty() && lit.q_bits.empty()) fail("no ciphertext primes given");
  // Key switching sums one 122-bit product per prime in 128 bits: at most 64.
  const std::size_t count = lit.q_primes.empty() ? lit.q_bits.size() : lit.q_primes.size();
  if (count > 60) fail("at most 60 ciphertext primes, got " + std::to_string(count));
  if (!lit.q_primes.empty()) {
    p->q_ = lit.q_primes;
  } else {
    for (int b : lit.q_bits) {
      if (b < 14 || b > math::kMaxModulusBits) {
        fail("prime sizes must be in [14, 61] bits, got " + std::to_string(b));
      }
    }
    // Generate per distinct size, largest first, skipping primes already taken.
    std::vector<u64> taken;
    for (int b : lit.q_bits) {
      u64 q;
      try {
        q = math::generate_primes(b, 1, congruence, taken)[0];
      } catch (const std::invalid_argument& e) {
        fail(std::string("cannot find the primes asked for: ") + e.what());
      }
      taken.push_back(q);
      p->q_.push_back(q);
    }
  }
  // Special prime.
  if (lit.p_prime && lit.p_bits) fail("give p_bits or p_prime, not both");
  if (lit.p_prime) {
    p->p_ = lit.p_prime;
  } else if (lit.p_bits) {
    if (lit.p_bits < 14 || lit.p_bits > math::kMaxModulusBits) {
      fail("special prime size must be in [14, 61] bits, got " + std::to_string(lit.p_bits));
    }
    try {
      p->p_ = math::generate_primes(lit.p_bits, 1, 2 * n, p->q_)[0];
    } catch (const std::invalid_argument& e) {
      fail(std::string("cannot find the special prime: ") + e.what());
    }
  } else {
    fail("a special prime (p_bits or p_prime) is required for key switching");
  }

  // Every prime: prime, NTT-friendly, distinct, within range; BGV: 1 mod t.
  std::vector<u64> all = p->q_;
  all.push_back(p->p_);
  for (std::size_t i = 0; i < all.size(); ++i) {
    u64 q = all[i];
    std::string name = i + 1 == all.size() ? "special prime P" : "q_" + std::to_string(i);
    if (bit_length(q) > math::kMaxModulusBits) fail(name + " exceeds 61 bits");
    if (!math::is_prime(q)) fail(name + " = " + std::to_string(q) + " is not prime");
    if ((q - 1) % (2 * n) != 0) fail(name + " = " + std::to_string(q) + " is not 1 mod 2N");
    if (bgv && i + 1 < all.size() && (q - 1) % p->t_ != 0) {
      fail(name + " = " + std::to_string(q) + " is not 1 mod t = " + std::to_string(p->t_) +
           " (BGV modulus switching keeps the message unscaled only then)");
    }
    if (bgv && q <= p->t_) fail(name + " must exceed t");
    for (std::size_t j = 0; j < i; ++j) {
      if (all[j] == q) fail("primes must be distinct; " + std::to_string(q) + " repeats");
    }
  }
  u64 max_q = *std::max_element(p->q_.begin(), p->q_.end());
  if (bit_length(p->p_) < bit_length(max_q)) {
    fail("the special prime P (" + std::to_string(bit_length(p->p_)) +
         " bits) must be at least as wide as the largest ciphertext prime (" +
         std::to_string(bit_length(max_q)) + " bits) to bound key-switching noise");
  }

  // Security: total bits against the HE standard table.
  int total = 0;
  for (u64 q : all) total += bit_length(q);
  p->total_bits_ = total;
  auto bound = max_modulus_bits_128(n);
  p->secure_128_ = bound.has_value() && total <= *bound;
  if (!p->secure_128_ && !opt_out) {
    fail("N = " + std::to_string(n) + " with a " + std::to_string(total) +
         "-bit modulus (ciphertext primes plus special prime) is below 128-bit security; "
         "the HE standard allows at most " +
         (bound ? std::to_string(*bound) : std::string("(no entry)")) + " bits for this N");
  }
  p->id_ = compute_id(p->scheme_, n, p->q_, p->p_, p->t_);
  return p;
}

ParameterLiteral Parameters::literal() const {
  ParameterLiteral lit;
  lit.scheme = scheme_;
  lit.n = n_;
  lit.q_primes = q_;
  lit.p_prime = p_;
  lit.t = t_;
  return lit;
}

std::string Parameters::describe() const {
  std::ostringstream os;
  os << to_string(scheme_) << " N=" << n_ << " log2(QP)=" << total_bits_ << " primes=[";
  for (std::size_t i = 0; i < q_.size(); ++i) os << (i ? "," : "") << bit_length(q_[i]);
  os << "]+" << bit_length(p_);
  if (scheme_ == Scheme::kBgv) os << " t=" << t_;
  os << (secure_128_ ? " (128-bit secure)" : " (INSECURE: test only)") << " id=" << hex_id(id_);
  return os.str();
}

}  // namespace veil::rlwe

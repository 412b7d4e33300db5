#include "veil/search/key_holder.h"

#include <algorithm>
#include <cmath>

#include "veil/ring/rns_poly.h"
#include "veil/rlwe/context.h"
#include "veil/rlwe/errors.h"
#include "veil/search/crt2.h"
#include "veil/search/layout.h"
#include "veil/search/mask.h"
#include "veil/search/parallel.h"

namespace veil::search {

ProbeKey::~ProbeKey() {
  for (auto* v : {&k, &k_shoup}) {
    volatile math::u64* w = v->data();
    for (std::size_t i = 0; i < v->size(); ++i) w[i] = 0;
  }
}

ScoreDecryptor::ScoreDecryptor(const SearchConfig& config, rlwe::ContextPtr ctx,
                               const rlwe::SecretKey& sk, const io::KeyId& key_id)
    : config_(config),
      ctx_(std::move(ctx)),
      key_id_(key_id),
      ntt_(config.n, math::Modulus(config.response_prime)),
      secrets_(*ctx_, sk, config.dimension),
      crt_(config.q[0], config.q[1]) {
  rlwe::require_param_id(sk.param_id, ctx_->id(), "score decryptor secret key");
  const std::size_t n = config.n;
  const math::Modulus& q0 = ctx_->key_basis().modulus(0);
  const math::u64 p = config.response_prime;
  s_q_.assign(sk.s.limb(0), sk.s.limb(0) + n);
  s_q_.insert(s_q_.end(), sk.s.limb(1), sk.s.limb(1) + n);
  s_q_shoup_.resize(2 * n);
  for (std::size_t l = 0; l < kPrimes; ++l) {
    const math::Modulus& q = ctx_->basis_q(1).modulus(l);
    r_inv_[l] = math::inv_mod((std::uint64_t{1} << 32) % q.value(), q);
    for (std::size_t k = 0; k < n; ++k)
      s_q_shoup_[l * n + k] = math::shoup_precompute(s_q_[l * n + k], q.value());
  }
  // s is ternary: read it off the first prime and re-embed it mod p.
  std::vector<math::u64> s(sk.s.limb(0), sk.s.limb(0) + n);
  ctx_->key_basis().ntt(0).inverse(s.data());
  s_.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    // Constant time in the secret: 0, 1 or q0 - 1 -> 0, 1, p - 1.
    const math::u64 v = s[k];
    const math::u64 is_neg =
        static_cast<math::u64>(0) - static_cast<math::u64>(v == q0.value() - 1);
    s_[k] = (v & ~is_neg) | ((p - 1) & is_neg);
  }
  volatile math::u64* wipe = s.data();
  for (std::size_t k = 0; k < n; ++k) wipe[k] = 0;
  ntt_.forward(s_.data());
  s_shoup_.resize(n);
  for (std::size_t k = 0; k < n; ++k) s_shoup_[k] = math::shoup_precompute(s_[k], p);
}

ScoreDecryptor::~ScoreDecryptor() {
  for (auto* v : {&s_, &s_shoup_, &s_q_, &s_q_shoup_}) {
    volatile math::u64* a = v->data();
    for (std::size_t k = 0; k < v->size(); ++k) a[k] = 0;
  }
}

ProbeKey ScoreDecryptor::prepare(const Words& expanded, std::size_t threads) const {
  const std::size_t n = config_.n, d = config_.dimension;
  if (expanded.size() != probe_words(n, d)) {
    throw rlwe::MismatchError("prepare: expanded probe has " + std::to_string(expanded.size()) +
                              " words, expected " + std::to_string(probe_words(n, d)));
  }
  ProbeKey key;
  key.config_id = config_.id();
  key.k.assign(kPrimes * n, 0);
  key.k_shoup.assign(kPrimes * n, 0);
  const auto& basis = ctx_->basis_q(1);
  // K_l[k] = 2^-32 sum_j s_j[k] (w_c + w_a s[k]): the expansion's words carry 2^32.
  parallel_for(n / kTile, threads ? threads : default_threads(), [&](std::size_t t, std::size_t) {
    for (std::size_t l = 0; l < kPrimes; ++l) {
      const math::Modulus& q = basis.modulus(l);
      const math::u64 qv = q.value();
      const math::u64* u = s_q_.data() + l * n + t * kTile;
      const math::u64* us = s_q_shoup_.data() + l * n + t * kTile;
      math::u128 acc[kTile] = {};
      for (std::size_t j = 0; j < d; ++j) {
        const std::uint32_t* sj = secrets_.get(j, l) + t * kTile;
        for (std::size_t i = 0; i < kTile; ++i) {
          const std::uint32_t c = expanded[probe_word(d, t * kTile + i, l, j, 0)];
          const std::uint32_t a = expanded[probe_word(d, t * kTile + i, l, j, 1)];
          math::u64 dj = c + math::mul_shoup_lazy(a, u[i], us[i], qv);  // < 3q
          dj = dj >= qv ? dj - qv : dj;
          dj = dj >= qv ? dj - qv : dj;
          acc[i] += static_cast<math::u128>(sj[i]) * dj;
        }
      }
      for (std::size_t i = 0; i < kTile; ++i) {
        const std::size_t at = l * n + t * kTile + i;
        key.k[at] = math::mul_mod(q.reduce128(acc[i]), r_inv_[l], q);
        key.k_shoup[at] = math::shoup_precompute(key.k[at], q.value());
        acc[i] = 0;
      }
    }
  });
  return key;
}

void ScoreDecryptor::check(const EncryptedScores& scores, const ProbeKey& key) const {
  rlwe::require_param_id(scores.param_id, ctx_->id(), "encrypted scores");
  require_key(scores.key_id, key_id_, "encrypted scores");
  if (scores.n != config_.n || scores.words.size() != scores.blocks * 2 * scores.n ||
      scores.mask_words != mask_response_words(config_) ||
      scores.masks.size() != scores.blocks * scores.mask_words) {
    throw rlwe::MismatchError("encrypted scores: shape does not match the search config");
  }
  if (key.config_id != config_.id() || key.k.size() != kPrimes * config_.n ||
      key.k_shoup.size() != key.k.size()) {
    throw rlwe::MismatchError("probe key was prepared for another gallery configuration");
  }
}

void ScoreDecryptor::decrypt_block_raw(const EncryptedScores& scores, std::size_t b,
                                       const ProbeKey& key, double* out) const {
  const std::size_t n = config_.n;
  const auto& basis = ctx_->basis_q(1);
  const math::u64 p = ntt_.modulus().value();
  const std::uint32_t* x = scores.block(b);
  thread_local ring::RnsPoly a;
  thread_local std::vector<math::u64, ring::PolyAllocator<math::u64>> m0, m1, t;
  m0.resize(n);
  m1.resize(n);
  t.resize(n);
  // The mask term a K, from the two primes to a fraction of p: c p / Q.
  mask_from_region(config_, *ctx_, scores.mask(b), a);
  const math::u64 q0 = basis.modulus(0).value(), q1 = basis.modulus(1).value();
  for (std::size_t k = 0; k < n; ++k) {
    const math::u64 r0 = math::mul_shoup_lazy(a.limb(0)[k], key.k[k], key.k_shoup[k], q0);
    const math::u64 r1 = math::mul_shoup_lazy(a.limb(1)[k], key.k[n + k], key.k_shoup[n + k], q1);
    m0[k] = r0 >= q0 ? r0 - q0 : r0;
    m1[k] = r1 >= q1 ? r1 - q1 : r1;
  }
  basis.ntt(0).inverse(m0.data());
  basis.ntt(1).inverse(m1.data());
  // x1 s mod p.
  for (std::size_t k = 0; k < n; ++k) t[k] = x[n + k];
  ntt_.forward(t.data());
  for (std::size_t k = 0; k < n; ++k) {
    const math::u64 r = math::mul_shoup_lazy(t[k], s_[k], s_shoup_[k], p);
    t[k] = r >= p ? r - p : r;
  }
  ntt_.inverse(t.data());
  const double ratio = static_cast<double>(p) / config_.q_product();
  const double inv_unit = 1.0 / config_.response_unit();
  const double half_p = static_cast<double>(p) / 2, dp = static_cast<double>(p);
  for (std::size_t k = 0; k < n; ++k) {
    // c p / Q in [0, p]: its integer part joins the residues, its fraction
    // stays exact in the double.
    // Signed conversions: c < 2^58 and m < 2^31 (unsigned ones cost branches).
    const double mask =
        static_cast<double>(static_cast<std::int64_t>(crt_.combine(m0[k], m1[k]))) * ratio;
    const auto whole = static_cast<math::u64>(static_cast<std::int64_t>(mask));  // floor: mask >= 0
    math::u64 m = x[k] + t[k];
    m = m >= p ? m - p : m;
    m += whole;
    m = m >= p ? m - p : m;
    m = m >= p ? m - p : m;  // whole can be p itself after rounding
    const double v = static_cast<double>(static_cast<std::int64_t>(m)) +
                     (mask - static_cast<double>(static_cast<std::int64_t>(whole)));
    out[k] = (v > half_p ? v - dp : v) * inv_unit;
  }
  for (auto* v : {&m0, &m1, &t}) {
    volatile math::u64* w = v->data();
    for (std::size_t k = 0; k < n; ++k) w[k] = 0;
  }
}

double ScoreDecryptor::decrypt_block(const EncryptedScores& scores, std::size_t b,
                                     const ProbeKey& key, std::int64_t* out) const {
  thread_local std::vector<double> x;
  x.resize(config_.n);
  decrypt_block_raw(scores, b, key, x.data());
  double worst = 0;
  for (std::size_t k = 0; k < config_.n; ++k) {
    const double r = std::nearbyint(x[k]);
    worst = std::max(worst, std::fabs(x[k] - r));
    out[k] = static_cast<std::int64_t>(r);
  }
  volatile double* wipe = x.data();
  for (std::size_t k = 0; k < config_.n; ++k) wipe[k] = 0;
  return worst;
}

std::vector<std::int64_t> ScoreDecryptor::decrypt(const EncryptedScores& scores,
                                                  const ProbeKey& key, std::size_t threads) const {
  check(scores, key);
  std::vector<std::int64_t> out(scores.blocks * config_.n);
  parallel_for(scores.blocks, threads ? threads : default_threads(),
               [&](std::size_t b, std::size_t) {
                 if (decrypt_block(scores, b, key, out.data() + b * config_.n) > kDecodeFailure) {
                   throw DecodeError(
                       "score block " + std::to_string(b) +
                           " does not decode: the probe or the gallery was encrypted under another "
                           "key, or the block or the response was altered",
                       b);
                 }
               });
  return out;
}

namespace {
bool better(const Match& a, const Match& b) {
  return a.score != b.score ? a.score > b.score : a.index < b.index;
}
}  // namespace

std::vector<Match> top_k(std::span<const std::int64_t> scores, std::size_t k,
                         const std::function<bool(std::size_t)>& valid) {
  std::vector<Match> heap;  // min-heap on `better`: the worst kept match on top
  if (k == 0) return heap;
  heap.reserve(k + 1);
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (heap.size() == k && scores[i] < heap.front().score) continue;
    if (valid && !valid(i)) continue;
    Match m{i, scores[i]};
    if (heap.size() < k) {
      heap.push_back(m);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (better(m, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = m;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  }
  std::sort(heap.begin(), heap.end(), better);
  return heap;
}

std::vector<Match> above_threshold(std::span<const std::int64_t> scores, std::int64_t threshold,
                                   const std::function<bool(std::size_t)>& valid) {
  std::vector<Match> out;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (scores[i] >= threshold && (!valid || valid(i))) out.push_back({i, scores[i]});
  }
  std::sort(out.begin(), out.end(), better);
  return out;
}

}  // namespace veil::search

#include "veil/search/key_holder.h"

#include <algorithm>
#include <cmath>

#include "veil/ring/rns_poly.h"
#include "veil/rlwe/context.h"
#include "veil/rlwe/errors.h"
#include "veil/search/parallel.h"

namespace veil::search {

ScoreDecryptor::ScoreDecryptor(const SearchConfig& config, rlwe::ContextPtr ctx,
                               const rlwe::SecretKey& sk)
    : config_(config), param_id_(ctx->id()), ntt_(config.n, math::Modulus(config.response_prime)) {
  rlwe::require_param_id(sk.param_id, ctx->id(), "score decryptor secret key");
  const std::size_t n = config.n;
  const math::Modulus& q0 = ctx->key_basis().modulus(0);
  const math::u64 p = config.response_prime;
  // s is ternary: read it off the first prime and re-embed it mod p.
  std::vector<math::u64> s(sk.s.limb(0), sk.s.limb(0) + n);
  ctx->key_basis().ntt(0).inverse(s.data());
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
  s2_.resize(n);
  const math::Modulus& mp = ntt_.modulus();
  for (std::size_t k = 0; k < n; ++k) s2_[k] = math::mul_mod(s_[k], s_[k], mp);
}

ScoreDecryptor::~ScoreDecryptor() {
  volatile math::u64* a = s_.data();
  volatile math::u64* b = s2_.data();
  for (std::size_t k = 0; k < s_.size(); ++k) a[k] = 0;
  for (std::size_t k = 0; k < s2_.size(); ++k) b[k] = 0;
}

void ScoreDecryptor::decrypt_block_raw(const std::uint32_t* block, double* out) const {
  const std::size_t n = config_.n;
  const math::Modulus& mp = ntt_.modulus();
  const math::u64 p = mp.value();
  std::vector<math::u64, ring::PolyAllocator<math::u64>> c1(block + n, block + 2 * n),
      c2(block + 2 * n, block + 3 * n);
  ntt_.forward(c1.data());
  ntt_.forward(c2.data());
  for (std::size_t k = 0; k < n; ++k) {
    c1[k] = mp.reduce128(static_cast<math::u128>(c1[k]) * s_[k] +
                         static_cast<math::u128>(c2[k]) * s2_[k]);
  }
  ntt_.inverse(c1.data());
  const double unit = config_.response_unit();
  for (std::size_t k = 0; k < n; ++k) {
    math::u64 m = c1[k] + block[k];
    if (m >= p) m -= p;
    const double centred = m > p / 2 ? -static_cast<double>(p - m) : static_cast<double>(m);
    out[k] = centred / unit;
  }
  volatile math::u64* wipe = c1.data();
  for (std::size_t k = 0; k < n; ++k) wipe[k] = 0;
}

double ScoreDecryptor::decrypt_block(const std::uint32_t* block, std::int64_t* out) const {
  std::vector<double> x(config_.n);
  decrypt_block_raw(block, x.data());
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
                                                  std::size_t threads) const {
  rlwe::require_param_id(scores.param_id, param_id_, "encrypted scores");
  if (scores.n != config_.n || scores.words.size() != scores.blocks * 3 * scores.n) {
    throw rlwe::MismatchError("encrypted scores: shape does not match the search config");
  }
  std::vector<std::int64_t> out(scores.blocks * config_.n);
  parallel_for(scores.blocks, threads ? threads : default_threads(),
               [&](std::size_t b, std::size_t) {
                 if (decrypt_block(scores.block(b), out.data() + b * config_.n) > kDecodeFailure) {
                   throw DecodeError(
                       "score block " + std::to_string(b) +
                       " does not decode: the probe or the gallery was encrypted under another "
                       "key, or the response was altered");
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

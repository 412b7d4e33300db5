#include "veil/search/server.h"

#include <chrono>
#include <cmath>

#include "veil/io/bit_pack.h"
#include "veil/io/byte_io.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/rlwe/errors.h"
#include "veil/search/parallel.h"

namespace veil::search {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
// Each thread scans whole blocks front to back: measured faster than passes
// of a few tiles over several blocks (which kept the probe's share in L2 but
// broke the sequential stream: 1M x 64, 58.8 vs 66.6 ms).
std::size_t tiles_per_pass(std::size_t, std::size_t tiles) { return tiles; }
constexpr std::size_t kBlocksPerItem = 1;
}  // namespace

SearchServer::SearchServer(const SearchConfig& config, rlwe::ContextPtr ctx, rlwe::GaloisKeys keys,
                           std::size_t threads)
    : config_(config),
      ctx_(ctx),
      expander_(config, ctx, std::move(keys)),
      primes_(config.q[0], config.q[1]),
      threads_(threads ? threads : default_threads()),
      kernel_(default_scan_kernel()) {
  switch_ratio_ = static_cast<double>(config.response_prime) / config.q_product();
  q0_inv_mod_q1_ = math::inv_mod(config.q[0] % config.q[1], math::Modulus(config.q[1]));
}

void SearchServer::reduce_block(const std::uint32_t* in, std::uint32_t* out) const {
  const std::size_t n = config_.n;
  const auto& basis = ctx_->basis_q(1);
  const math::u64 q0 = config_.q[0], q1 = config_.q[1], p = config_.response_prime;
  const math::MulOperand inv(q0_inv_mod_q1_, basis.modulus(1));
  const double ratio = switch_ratio_;
  thread_local std::vector<math::u64, ring::PolyAllocator<math::u64>> r0, r1;
  r0.resize(n);
  r1.resize(n);
  for (std::size_t part = 0; part < 3; ++part) {
    const std::uint32_t* a = in + (part * 2 + 0) * n;
    const std::uint32_t* b = in + (part * 2 + 1) * n;
    for (std::size_t k = 0; k < n; ++k) {
      r0[k] = a[k];
      r1[k] = b[k];
    }
    basis.ntt(0).inverse(r0.data());
    basis.ntt(1).inverse(r1.data());
    std::uint32_t* o = out + part * n;
    for (std::size_t k = 0; k < n; ++k) {
      // CRT: c = r0 + q0 * ((r1 - r0) / q0 mod q1), exact below Q < 2^58.
      // r0 < q0 < 2 q1, so one conditional subtraction reduces it mod q1.
      const math::u64 x = r0[k] >= q1 ? r0[k] - q1 : r0[k];
      const math::u64 diff = r1[k] >= x ? r1[k] - x : r1[k] + q1 - x;
      math::u64 t = math::mul_shoup_lazy(diff, inv.w, inv.w_shoup, q1);
      t = t >= q1 ? t - q1 : t;
      const math::u64 c = r0[k] + q0 * t;
      // round(c p / Q) mod p; a double's rounding error (< 2^-20 here) only
      // adds to the rounding noise the config budgets for.
      math::u64 v =
          static_cast<math::u64>(static_cast<std::int64_t>(static_cast<double>(c) * ratio + 0.5));
      o[k] = static_cast<std::uint32_t>(v >= p ? v - p : v);
    }
  }
}

EncryptedScores SearchServer::score(const Words& probe,
                                    std::span<const std::uint32_t* const> blocks,
                                    ScanTimings* timings) const {
  const std::size_t n = config_.n, d = config_.dimension;
  if (probe.size() != config_.block_words()) {
    throw rlwe::MismatchError("score: expanded probe has " + std::to_string(probe.size()) +
                              " words, expected " + std::to_string(config_.block_words()));
  }
  EncryptedScores out;
  out.param_id = ctx_->id();
  out.n = n;
  out.blocks = blocks.size();
  out.words.resize(blocks.size() * 3 * n);
  Words residues(blocks.size() * 6 * n);
  const std::size_t tiles = n / kTile, pass = tiles_per_pass(d, tiles);
  const std::size_t items = (blocks.size() + kBlocksPerItem - 1) / kBlocksPerItem;

  auto t0 = std::chrono::steady_clock::now();
  parallel_for(items, threads_, [&](std::size_t item, std::size_t) {
    const std::size_t b0 = item * kBlocksPerItem;
    const std::size_t b1 = std::min(blocks.size(), b0 + kBlocksPerItem);
    for (std::size_t t = 0; t < tiles; t += pass) {
      const std::size_t t1 = std::min(tiles, t + pass);
      for (std::size_t b = b0; b < b1; ++b) {
        scan_tiles(kernel_, blocks[b], probe.data(), d, n, t, t1, primes_,
                   residues.data() + b * 6 * n);
      }
    }
  });
  if (timings) timings->scan_s = seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  parallel_for(blocks.size(), threads_, [&](std::size_t b, std::size_t) {
    reduce_block(residues.data() + b * 6 * n, out.words.data() + b * 3 * n);
  });
  if (timings) timings->reduce_s = seconds_since(t0);
  return out;
}

EncryptedScores SearchServer::search(const EncryptedProbe& probe,
                                     std::span<const std::uint32_t* const> blocks,
                                     ScanTimings* timings) const {
  auto t0 = std::chrono::steady_clock::now();
  Words expanded = expand(probe);
  if (timings) timings->expand_s = seconds_since(t0);
  return score(expanded, blocks, timings);
}

namespace {
constexpr std::uint32_t kScoresVersion = 1;
}

std::vector<std::uint8_t> save_scores(const SearchConfig& config, const EncryptedScores& s) {
  io::ByteWriter w;
  w.put_u32(kScoresVersion);
  w.put_u64(config.id());
  w.put_u64(s.n);
  w.put_u64(s.blocks);
  // Residues are below the response prime (< 2^30): packed 30 bits each.
  io::put_packed(w, std::span<const std::uint32_t>(s.words.data(), s.words.size()),
                 std::bit_width(config.response_prime));
  return io::seal_envelope(io::ObjectType::SearchResponse, s.param_id, w.bytes());
}

EncryptedScores load_scores(const SearchConfig& config, std::uint64_t param_id,
                            std::span<const std::uint8_t> bytes) {
  auto env =
      io::open_envelope(bytes, io::ObjectType::SearchResponse, param_id, std::uint64_t{1} << 36);
  io::ByteReader r(env.payload);
  const auto version = r.get_u32("version");
  if (version != kScoresVersion)
    throw io::FormatError("scores: unsupported version " + std::to_string(version));
  EncryptedScores s;
  s.param_id = env.param_id;
  const std::uint64_t config_id = r.get_u64("config id");
  if (config_id != config.id()) {
    throw rlwe::MismatchError("scores were computed for another gallery configuration (" +
                              rlwe::hex_id(config_id) + ", expected " + rlwe::hex_id(config.id()) +
                              ")");
  }
  s.n = r.get_u64("n");
  if (s.n != config.n)
    throw io::FormatError("scores: ring degree " + std::to_string(s.n) + ", expected " +
                          std::to_string(config.n));
  const int bits = std::bit_width(config.response_prime);
  const std::uint64_t max_blocks = r.remaining() * 8 / (3 * s.n * bits) + 1;
  s.blocks = r.get_count("blocks", max_blocks);
  const std::uint64_t count = io::checked_mul(io::checked_mul(s.blocks, 3), s.n);
  io::checked_size(count, sizeof(std::uint32_t), "scores");  // bounded by the bytes present
  s.words.resize(count);
  io::get_packed(r, std::span<std::uint32_t>(s.words.data(), s.words.size()), bits,
                 config.response_prime, "scores residues");
  r.expect_end();
  return s;
}

}  // namespace veil::search

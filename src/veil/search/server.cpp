#include "veil/search/server.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "veil/io/bit_pack.h"
#include "veil/io/byte_io.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/rlwe/errors.h"
#include "veil/search/mask.h"
#include "veil/search/parallel.h"

namespace veil::search {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
// A thread takes a group of blocks and scans them tile by tile, block after
// block within a tile (pairs of blocks share the probe's loads): the probe's
// tile (d x 128 bytes) comes from memory once per group and from L1/L2 for
// the other blocks, while each block is still read front to back. The
// expanded probe is twice a block's `b` halves, so without this it, not the
// gallery, dominates the traffic. `veil bench --n 1e6 --d 64 --repeats 7`,
// 2 threads, scan medians of two runs each: groups of 1 30.3/30.6 ms, 2
// 24.4/23.9, 4 23.6/23.0, 8 22.6/22.8, 16 26.5/29.4 (more streams than the
// prefetchers follow). 4 keeps clear of that edge for every d.
constexpr std::size_t kMaxGroup = 4;
std::size_t group_size(std::size_t blocks, std::size_t threads) {
  // At least four groups per thread so that the last ones balance out.
  const std::size_t g = blocks / (4 * threads);
  return std::clamp<std::size_t>(g, 1, kMaxGroup);
}
}  // namespace

SearchServer::SearchServer(const SearchConfig& config, rlwe::ContextPtr ctx, rlwe::GaloisKeys keys,
                           const io::KeyId& gallery_key, std::size_t threads)
    : config_(config),
      ctx_(ctx),
      expander_(config, ctx, std::move(keys)),
      key_id_(gallery_key),
      primes_(config.q[0], config.q[1]),
      threads_(threads ? threads : default_threads()),
      kernel_(default_scan_kernel()),
      crt_(config.q[0], config.q[1]) {
  switch_ratio_ = static_cast<double>(config.response_prime) / config.q_product();
}

void SearchServer::reduce_block(const std::uint32_t* in, std::uint32_t* out) const {
  const std::size_t n = config_.n;
  const auto& basis = ctx_->basis_q(1);
  const math::u64 p = config_.response_prime;
  const double ratio = switch_ratio_;
  thread_local std::vector<math::u64, ring::PolyAllocator<math::u64>> r0, r1;
  r0.resize(n);
  r1.resize(n);
  for (std::size_t part = 0; part < 2; ++part) {
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
      const math::u64 c = crt_.combine(r0[k], r1[k]);
      // round(c p / Q) mod p; a double's rounding error (< 2^-20 here) only
      // adds to the rounding noise the config budgets for.
      math::u64 v =
          static_cast<math::u64>(static_cast<std::int64_t>(static_cast<double>(c) * ratio + 0.5));
      o[k] = static_cast<std::uint32_t>(v >= p ? v - p : v);
    }
  }
}

EncryptedScores SearchServer::empty_scores(std::span<const std::uint32_t* const> blocks) const {
  const std::size_t n = config_.n;
  EncryptedScores out;
  out.param_id = ctx_->id();
  out.key_id = key_id_;
  out.n = n;
  out.blocks = blocks.size();
  out.mask_words = mask_response_words(config_);
  out.words.resize(blocks.size() * 2 * n);
  out.masks.resize(blocks.size() * out.mask_words);
  for (std::size_t b = 0; b < blocks.size(); ++b)
    std::copy(blocks[b], blocks[b] + out.mask_words, out.masks.data() + b * out.mask_words);
  return out;
}

EncryptedScores SearchServer::score(const Words& probe,
                                    std::span<const std::uint32_t* const> blocks,
                                    ScanTimings* timings) const {
  return std::move(score_batch(std::span<const Words>(&probe, 1), blocks, timings).front());
}

std::vector<EncryptedScores> SearchServer::score_batch(std::span<const Words> probes,
                                                       std::span<const std::uint32_t* const> blocks,
                                                       ScanTimings* timings) const {
  const std::size_t n = config_.n, d = config_.dimension, q = probes.size();
  if (q == 0 || q > kMaxBatch) {
    throw std::invalid_argument("score_batch: " + std::to_string(q) + " probes, expected 1.." +
                                std::to_string(kMaxBatch));
  }
  for (const Words& probe : probes) {
    if (probe.size() != probe_words(n, d)) {
      throw rlwe::MismatchError("score: expanded probe has " + std::to_string(probe.size()) +
                                " words, expected " + std::to_string(probe_words(n, d)));
    }
  }
  std::vector<EncryptedScores> out;
  out.reserve(q);
  for (std::size_t p = 0; p < q; ++p) out.push_back(empty_scores(blocks));
  const std::size_t skip = config_.mask_words();
  std::vector<Words> residues(q, Words(blocks.size() * 4 * n));
  const std::size_t tiles = n / kTile;
  auto t0 = std::chrono::steady_clock::now();
  if (q == 1) {
    // Block groups: the probe's tile comes from memory once per group.
    const std::size_t group = group_size(blocks.size(), threads_);
    const std::size_t items = (blocks.size() + group - 1) / group;
    parallel_for(items, threads_, [&](std::size_t item, std::size_t) {
      const std::size_t b0 = item * group;
      const std::size_t b1 = std::min(blocks.size(), b0 + group);
      const std::uint32_t* in[kMaxGroup];
      std::uint32_t* outs[kMaxGroup];
      for (std::size_t b = b0; b < b1; ++b) {
        in[b - b0] = blocks[b] + skip;
        outs[b - b0] = residues[0].data() + b * 4 * n;
      }
      scan_group(kernel_, in, b1 - b0, probes[0].data(), d, n, 0, tiles, primes_, outs);
    });
  } else {
    // Several probes: an expanded probe is twice a block, so reading every
    // probe once per block group would cost more than the gallery. Threads
    // take ranges of tiles instead and sweep all blocks: each probe's tiles
    // are read once per pass and stay in L2 (`step` tiles of all q probes
    // in ~128 KiB) while a few blocks' tiles are scored against every probe.
    const std::size_t probe_tile_bytes = kPrimes * probe_chunk_words(d) * sizeof(std::uint32_t);
    const std::size_t step = std::clamp<std::size_t>((128 << 10) / (q * probe_tile_bytes), 1, 16);
    const std::size_t items = (tiles + step - 1) / step;
    std::vector<const std::uint32_t*> in(blocks.size());
    std::vector<std::vector<std::uint32_t*>> outs(q, std::vector<std::uint32_t*>(blocks.size()));
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      in[b] = blocks[b] + skip;
      for (std::size_t p = 0; p < q; ++p) outs[p][b] = residues[p].data() + b * 4 * n;
    }
    constexpr std::size_t kBlocksPerCall = 8;
    parallel_for(items, threads_, [&](std::size_t item, std::size_t) {
      const std::size_t t_begin = item * step, t_end = std::min(tiles, t_begin + step);
      for (std::size_t b = 0; b < blocks.size(); b += kBlocksPerCall) {
        const std::size_t count = std::min(kBlocksPerCall, blocks.size() - b);
        for (std::size_t p = 0; p < q; ++p) {
          scan_group(kernel_, in.data() + b, count, probes[p].data(), d, n, t_begin, t_end,
                     primes_, outs[p].data() + b);
        }
      }
    });
  }
  if (timings) timings->scan_s += seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  parallel_for(q * blocks.size(), threads_, [&](std::size_t i, std::size_t) {
    const std::size_t p = i / blocks.size(), b = i % blocks.size();
    reduce_block(residues[p].data() + b * 4 * n, out[p].words.data() + b * 2 * n);
  });
  if (timings) timings->reduce_s += seconds_since(t0);
  return out;
}

EncryptedScores SearchServer::search(const EncryptedProbe& probe,
                                     std::span<const std::uint32_t* const> blocks,
                                     ScanTimings* timings) const {
  return std::move(
      search_batch(std::span<const EncryptedProbe>(&probe, 1), blocks, timings).front());
}

std::vector<EncryptedScores> SearchServer::search_batch(
    std::span<const EncryptedProbe> probes, std::span<const std::uint32_t* const> blocks,
    ScanTimings* timings) const {
  std::vector<EncryptedScores> out;
  out.reserve(probes.size());
  for (std::size_t first = 0; first < probes.size(); first += kMaxBatch) {
    const std::size_t count = std::min(kMaxBatch, probes.size() - first);
    auto t0 = std::chrono::steady_clock::now();
    std::vector<Words> expanded;
    expanded.reserve(count);
    for (std::size_t p = first; p < first + count; ++p) expanded.push_back(expand(probes[p]));
    if (timings) timings->expand_s += seconds_since(t0);
    for (EncryptedScores& s : score_batch(expanded, blocks, timings)) out.push_back(std::move(s));
  }
  return out;
}

namespace {
constexpr std::uint32_t kScoresVersion = 3;  // 3: the key id after the config id

// Seeds travel as raw 32-bit words; a public-key gallery's `a` packed per prime.
void put_masks(io::ByteWriter& w, const SearchConfig& config, const EncryptedScores& s) {
  if (config.gallery == Encryption::kSecretKey) {
    io::put_packed(w, std::span<const std::uint32_t>(s.masks.data(), s.masks.size()), 32);
    return;
  }
  for (std::size_t b = 0; b < s.blocks; ++b)
    for (std::size_t l = 0; l < kPrimes; ++l)
      io::put_packed(w, std::span<const std::uint32_t>(s.mask(b) + l * s.n, s.n),
                     std::bit_width(config.q[l]));
}

void get_masks(io::ByteReader& r, const SearchConfig& config, EncryptedScores& s) {
  if (config.gallery == Encryption::kSecretKey) {
    io::get_packed(r, std::span<std::uint32_t>(s.masks.data(), s.masks.size()), 32,
                   std::uint64_t{1} << 32, "mask seeds");
    return;
  }
  for (std::size_t b = 0; b < s.blocks; ++b)
    for (std::size_t l = 0; l < kPrimes; ++l)
      io::get_packed(r, std::span<std::uint32_t>(s.masks.data() + b * s.mask_words + l * s.n, s.n),
                     std::bit_width(config.q[l]), config.q[l], "block masks");
}

// Bytes of one block in a response: (x0, x1) and its mask.
std::uint64_t response_block_bytes(const SearchConfig& config) {
  std::uint64_t bits = 2 * config.n * std::bit_width(config.response_prime);
  bits += config.gallery == Encryption::kSecretKey
              ? 8 * 32
              : config.n * (std::bit_width(config.q[0]) + std::bit_width(config.q[1]));
  return bits / 8;
}
}  // namespace

std::vector<std::uint8_t> save_scores(const SearchConfig& config, const EncryptedScores& s) {
  if (s.mask_words != mask_response_words(config) || s.words.size() != s.blocks * 2 * s.n ||
      s.masks.size() != s.blocks * s.mask_words) {
    throw std::invalid_argument("save_scores: scores do not match the search config");
  }
  io::ByteWriter w;
  w.put_u32(kScoresVersion);
  w.put_u64(config.id());
  w.put_bytes(s.key_id.bytes);
  w.put_u64(s.n);
  w.put_u64(s.blocks);
  // Residues are below the response prime (< 2^30): packed 30 bits each.
  io::put_packed(w, std::span<const std::uint32_t>(s.words.data(), s.words.size()),
                 std::bit_width(config.response_prime));
  put_masks(w, config, s);
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
  const auto key_bytes = r.get_bytes("key id", s.key_id.bytes.size());
  std::copy(key_bytes.begin(), key_bytes.end(), s.key_id.bytes.begin());
  s.n = r.get_u64("n");
  if (s.n != config.n)
    throw io::FormatError("scores: ring degree " + std::to_string(s.n) + ", expected " +
                          std::to_string(config.n));
  s.mask_words = mask_response_words(config);
  s.blocks = r.get_count("blocks", r.remaining() / response_block_bytes(config) + 1);
  const std::uint64_t count = io::checked_mul(io::checked_mul(s.blocks, 2), s.n);
  io::checked_size(count, sizeof(std::uint32_t), "scores");  // bounded by the bytes present
  s.words.resize(count);
  s.masks.resize(s.blocks * s.mask_words);
  io::get_packed(r, std::span<std::uint32_t>(s.words.data(), s.words.size()),
                 std::bit_width(config.response_prime), config.response_prime, "scores residues");
  get_masks(r, config, s);
  r.expect_end();
  return s;
}

}  // namespace veil::search

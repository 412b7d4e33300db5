#include "veil/data/clustered_gen.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <thread>
#include <vector>

#include "veil/data/normals.h"

namespace veil::data {

namespace {
constexpr std::size_t kChunk = 4096;
constexpr std::uint64_t kModelStream = 0, kBaseStream = 1ull << 40, kQueryStream = 2ull << 40;

ring::Seed key_of(std::uint64_t seed) {
  ring::Seed k{};
  for (int i = 0; i < 8; ++i) k[i] = static_cast<std::uint8_t>(seed >> (8 * i));
  k[8] = 'C';  // not the identity generator's keys for the same seed
  return k;
}
}  // namespace

ClusteredGenerator::ClusteredGenerator(const ClusteredParams& p) : p_(p) {
  if (p.dimension == 0 || p.clusters == 0 || p.intrinsic == 0 || p.intrinsic > p.dimension) {
    throw std::invalid_argument("ClusteredParams: sizes must be positive, intrinsic <= dimension");
  }
  if (!(p.spread >= 0) || !(p.noise_sd >= 0)) {
    throw std::invalid_argument("ClusteredParams: spread and noise must be non-negative");
  }
  const std::size_t d = p.dimension, k = p.intrinsic;
  ring::Xof xof(key_of(p.seed), kModelStream);
  Normals normals(xof);
  centres_.resize(p.clusters * d);
  normals.fill(centres_.data(), centres_.size());
  for (auto& v : centres_) v = std::min(200.0f, 30.0f * v * v);
  bases_.resize(p.clusters * d * k);
  normals.fill(bases_.data(), bases_.size());
  const float inv = 1.0f / std::sqrt(static_cast<float>(d));
  for (std::size_t c = 0; c < p.clusters; ++c) {
    for (std::size_t j = 0; j < d; ++j) {
      for (std::size_t i = 0; i < k; ++i) {
        bases_[(c * d + j) * k + i] *= inv * static_cast<float>(p.spread * std::pow(0.85, i));
      }
    }
  }
}

Matrix ClusteredGenerator::base(std::size_t first, std::size_t count, std::size_t threads) const {
  return rows(kBaseStream, first, count, threads);
}

Matrix ClusteredGenerator::queries(std::size_t first, std::size_t count,
                                   std::size_t threads) const {
  return rows(kQueryStream, first, count, threads);
}

Matrix ClusteredGenerator::rows(std::uint64_t stream, std::size_t first, std::size_t count,
                                std::size_t threads) const {
  const std::size_t d = p_.dimension, k = p_.intrinsic;
  Matrix out{count, d, std::vector<float>(count * d)};
  const std::size_t first_chunk = first / kChunk,
                    last_chunk = (first + count + kChunk - 1) / kChunk;
  auto make_chunk = [&](std::size_t chunk) {
    ring::Xof xof(key_of(p_.seed), stream + chunk);
    Normals normals(xof);
    std::vector<float> z(k), e(d);
    for (std::size_t r = chunk * kChunk; r < (chunk + 1) * kChunk; ++r) {
      // Every row draws the same amount, so row r's values do not depend on
      // which rows of the chunk are kept.
      const std::size_t c = xof.next_u64() % p_.clusters;
      normals.fill(z.data(), k);
      normals.fill(e.data(), d);
      if (r < first || r >= first + count) continue;
      float* x = out.row(r - first);
      for (std::size_t j = 0; j < d; ++j) {
        const float* b = bases_.data() + (c * d + j) * k;
        float v = centres_[c * d + j] + static_cast<float>(p_.noise_sd) * e[j];
        for (std::size_t i = 0; i < k; ++i) v += b[i] * z[i];
        x[j] = std::nearbyint(std::clamp(v, 0.0f, 255.0f));
      }
    }
  };
  const std::size_t chunks = last_chunk - first_chunk;
  const std::size_t t = std::max<std::size_t>(
      1, std::min(chunks, threads ? threads : std::max(1u, std::thread::hardware_concurrency())));
  std::vector<std::thread> pool;
  for (std::size_t w = 0; w < t; ++w) {
    pool.emplace_back([&, w] {
      for (std::size_t ch = first_chunk + w; ch < last_chunk; ch += t) make_chunk(ch);
    });
  }
  for (auto& th : pool) th.join();
  return out;
}

}  // namespace veil::data

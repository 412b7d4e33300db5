#include "veil/data/identity_gen.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <thread>

#include "veil/data/normals.h"
#include "veil/ring/xof.h"

namespace veil::data {
namespace {

// Key = the u64 seed (little-endian) then "IDENTGEN": no other user of a
// small public seed (e.g. apps' SyntheticStream, zeros after byte 8) shares it.
ring::Seed key_of(std::uint64_t seed) {
  ring::Seed k{};
  for (int i = 0; i < 8; ++i) k[i] = static_cast<std::uint8_t>(seed >> (8 * i));
  std::memcpy(k.data() + 8, "IDENTGEN", 8);
  return k;
}

void check(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("IdentityGenParams: " + what);
}

bool finite_nonneg(double v) { return std::isfinite(v) && v >= 0; }

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

unsigned thread_count(unsigned threads, std::size_t work) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  if (work < threads) threads = static_cast<unsigned>(std::max<std::size_t>(work, 1));
  return threads;
}

}  // namespace

double effective_dim(std::size_t k, double decay) {
  double s = 0, s2 = 0;
  for (std::size_t t = 0; t < k; ++t) {
    const double l = std::pow(static_cast<double>(t + 1), -decay);
    s += l;
    s2 += l * l;
  }
  return s2 > 0 ? s * s / s2 : 0;
}

std::string to_string(const IdentityGenParams& p) {
  return "identities=" + std::to_string(p.identities) +
         " samples=" + std::to_string(p.samples_per_identity) +
         " D=" + std::to_string(p.ambient_dim) + " k=" + std::to_string(p.intrinsic_dim) +
         " spread=" + num(p.within_spread) + " floor=" + num(p.noise_floor) +
         " offset=" + num(p.common_offset) + " decay=" + num(p.spectrum_decay) +
         " variation=" + num(p.spread_variation) + " seed=" + std::to_string(p.seed);
}

IdentityGenerator::IdentityGenerator(const IdentityGenParams& params) : p_(params) {
  check(p_.identities >= 1, "identities must be at least 1, got 0");
  check(p_.samples_per_identity >= 1, "samples_per_identity must be at least 1, got 0");
  check(p_.intrinsic_dim >= 1, "intrinsic_dim must be at least 1, got 0");
  check(p_.ambient_dim > p_.intrinsic_dim,
        "ambient_dim " + std::to_string(p_.ambient_dim) + " must exceed intrinsic_dim " +
            std::to_string(p_.intrinsic_dim) + " (one extra direction is the shared offset)");
  check(p_.ambient_dim <= (std::size_t{1} << 20),
        "ambient_dim " + std::to_string(p_.ambient_dim) + " above the limit of 1048576");
  check(finite_nonneg(p_.within_spread),
        "within_spread " + num(p_.within_spread) + " must be finite and >= 0");
  check(finite_nonneg(p_.noise_floor),
        "noise_floor " + num(p_.noise_floor) + " must be finite and >= 0");
  check(finite_nonneg(p_.common_offset),
        "common_offset " + num(p_.common_offset) + " must be finite and >= 0");
  check(finite_nonneg(p_.spread_variation) && p_.spread_variation <= 3,
        "spread_variation " + num(p_.spread_variation) + " must be in [0, 3]");
  check(finite_nonneg(p_.spectrum_decay) && p_.spectrum_decay <= 16,
        "spectrum_decay " + num(p_.spectrum_decay) + " must be in [0, 16]");
  // rows * ambient_dim floats must be addressable.
  const std::size_t max_floats = SIZE_MAX / sizeof(float);
  check(p_.samples_per_identity <= max_floats / p_.identities / p_.ambient_dim,
        std::to_string(p_.identities) + " identities x " + std::to_string(p_.samples_per_identity) +
            " samples x " + std::to_string(p_.ambient_dim) +
            " dimensions overflow the address space");

  const std::size_t k = p_.intrinsic_dim, D = p_.ambient_dim;
  double total = 0;
  centre_sd_.resize(k);
  for (std::size_t t = 0; t < k; ++t)
    total += std::pow(static_cast<double>(t + 1), -p_.spectrum_decay);
  for (std::size_t t = 0; t < k; ++t) {
    centre_sd_[t] = static_cast<float>(
        std::sqrt(std::pow(static_cast<double>(t + 1), -p_.spectrum_decay) / total));
  }

  // Basis: k + 1 Gaussian columns, orthonormalised by modified Gram-Schmidt
  // (twice, in double, for orthogonality to rounding).
  ring::Xof xof(key_of(p_.seed), 0);
  Normals normals(xof);
  std::vector<float> g((k + 1) * D);
  normals.fill(g.data(), g.size());
  std::vector<double> q(g.begin(), g.end());
  for (std::size_t c = 0; c <= k; ++c) {
    double* v = q.data() + c * D;
    for (int pass = 0; pass < 2; ++pass) {
      for (std::size_t p = 0; p < c; ++p) {
        const double* u = q.data() + p * D;
        double d = 0;
        for (std::size_t i = 0; i < D; ++i) d += u[i] * v[i];
        for (std::size_t i = 0; i < D; ++i) v[i] -= d * u[i];
      }
    }
    double n = 0;
    for (std::size_t i = 0; i < D; ++i) n += v[i] * v[i];
    n = std::sqrt(n);
    // A Gaussian column in the span of the previous ones has probability 0.
    if (!(n > 1e-6)) throw std::runtime_error("IdentityGenerator: degenerate basis draw");
    for (std::size_t i = 0; i < D; ++i) v[i] /= n;
  }
  basis_.assign(q.begin(), q.end());
}

double IdentityGenerator::effective_dim() const {
  return data::effective_dim(p_.intrinsic_dim, p_.spectrum_decay);
}

void IdentityGenerator::draw_identity(std::size_t i, std::size_t n, float* const* dest) const {
  const std::size_t k = p_.intrinsic_dim, D = p_.ambient_dim;
  ring::Xof xof(key_of(p_.seed), static_cast<std::uint64_t>(i) + 1);
  Normals normals(xof);
  std::vector<float> c(k), u(k + 1), w(k + 1), noise(D);
  normals.fill(c.data(), k);
  for (std::size_t t = 0; t < k; ++t) c[t] *= centre_sd_[t];
  const double s = p_.within_spread / std::sqrt(static_cast<double>(k));
  const double sv = p_.spread_variation;
  const float f = static_cast<float>(p_.noise_floor / std::sqrt(static_cast<double>(D)));
  w[k] = static_cast<float>(p_.common_offset);
  for (std::size_t j = 0; j < n; ++j) {
    // u[k] is g_ij, drawn even when spread_variation is 0 so that the stream
    // layout (and so every other draw) does not depend on parameter values.
    normals.fill(u.data(), k + 1);
    normals.fill(noise.data(), D);
    float* out = dest[j];
    if (out == nullptr) continue;
    const float sj = static_cast<float>(s * std::exp(sv * u[k] - sv * sv));
    for (std::size_t t = 0; t < k; ++t) w[t] = c[t] + sj * u[t];
    for (std::size_t d = 0; d < D; ++d) out[d] = f * noise[d];
    for (std::size_t t = 0; t <= k; ++t) {
      const float wt = w[t];
      const float* col = basis_.data() + t * D;
      for (std::size_t d = 0; d < D; ++d) out[d] += wt * col[d];
    }
    double norm = 0;
    for (std::size_t d = 0; d < D; ++d) norm += static_cast<double>(out[d]) * out[d];
    if (norm > 0) {
      const float inv = static_cast<float>(1.0 / std::sqrt(norm));
      for (std::size_t d = 0; d < D; ++d) out[d] *= inv;
    }
  }
}

// dest(i, ptrs) fills ptrs[0 .. n) for identity i and returns n.
template <class Dest>
void IdentityGenerator::for_identities(std::size_t first, std::size_t count, unsigned threads,
                                       Dest dest) const {
  threads = thread_count(threads, count);
  auto run = [&](std::size_t lo, std::size_t hi) {
    std::vector<float*> ptrs(p_.samples_per_identity + 1);
    for (std::size_t i = lo; i < hi; ++i) {
      std::size_t n = dest(i, ptrs.data());
      draw_identity(i, n, ptrs.data());
    }
  };
  if (threads <= 1) {
    run(first, first + count);
    return;
  }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(threads);
  for (unsigned t = 0; t < threads; ++t) {
    const std::size_t lo = first + count * t / threads, hi = first + count * (t + 1) / threads;
    pool.emplace_back([&, t, lo, hi] {
      try {
        run(lo, hi);
      } catch (...) {
        errors[t] = std::current_exception();
      }
    });
  }
  for (auto& th : pool) th.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

void IdentityGenerator::generate(std::size_t first, std::size_t count, std::span<float> out,
                                 unsigned threads) const {
  const std::size_t S = p_.samples_per_identity, D = p_.ambient_dim;
  if (first > p_.identities || count > p_.identities - first) {
    throw std::invalid_argument("IdentityGenerator::generate: identities [" +
                                std::to_string(first) + ", " + std::to_string(first) + " + " +
                                std::to_string(count) + ") outside [0, " +
                                std::to_string(p_.identities) + ")");
  }
  if (out.size() != count * S * D) {
    throw std::invalid_argument("IdentityGenerator::generate: output holds " +
                                std::to_string(out.size()) + " floats, expected " +
                                std::to_string(count * S * D) + " (identities x samples x dim)");
  }
  for_identities(first, count, threads, [&](std::size_t i, float** ptrs) {
    for (std::size_t j = 0; j < S; ++j) ptrs[j] = out.data() + ((i - first) * S + j) * D;
    return S;
  });
}

LabeledSet IdentityGenerator::generate_all(unsigned threads) const {
  LabeledSet s;
  s.name = "synthetic-identities";
  s.real = false;
  s.x.rows = rows();
  s.x.cols = p_.ambient_dim;
  s.x.values.resize(s.x.rows * s.x.cols);
  generate(0, p_.identities, s.x.values, threads);
  s.labels.resize(s.x.rows);
  for (std::size_t r = 0; r < s.x.rows; ++r) {
    s.labels[r] = static_cast<std::int64_t>(r / p_.samples_per_identity);
  }
  s.note = "generated identity-structured embeddings: " + to_string(p_);
  return s;
}

GalleryProbe IdentityGenerator::generate_split(std::size_t g, unsigned threads) const {
  const std::size_t D = p_.ambient_dim, I = p_.identities;
  if (g == 0 || p_.samples_per_identity < g + 1) {
    throw std::invalid_argument("IdentityGenerator::generate_split: gallery_per_identity " +
                                std::to_string(g) + " needs 1 <= g and samples_per_identity (" +
                                std::to_string(p_.samples_per_identity) + ") >= g + 1");
  }
  GalleryProbe out;
  out.gallery.name = "synthetic-identities/gallery";
  out.probes.name = "synthetic-identities/probes";
  for (LabeledSet* s : {&out.gallery, &out.probes}) {
    s->real = false;
    s->x.cols = D;
    s->note = "generated identity-structured embeddings: " + to_string(p_) +
              "; gallery = samples 0.." + std::to_string(g - 1) + ", probe = sample " +
              std::to_string(g) + " of each identity";
  }
  out.gallery.x.rows = I * g;
  out.gallery.x.values.resize(I * g * D);
  out.probes.x.rows = I;
  out.probes.x.values.resize(I * D);
  for_identities(0, I, threads, [&](std::size_t i, float** ptrs) {
    for (std::size_t j = 0; j < g; ++j) ptrs[j] = out.gallery.x.row(i * g + j);
    ptrs[g] = out.probes.x.row(i);
    return g + 1;
  });
  out.gallery.labels.resize(I * g);
  for (std::size_t r = 0; r < I * g; ++r) out.gallery.labels[r] = static_cast<std::int64_t>(r / g);
  out.probes.labels.resize(I);
  for (std::size_t i = 0; i < I; ++i) out.probes.labels[i] = static_cast<std::int64_t>(i);
  return out;
}

}  // namespace veil::data

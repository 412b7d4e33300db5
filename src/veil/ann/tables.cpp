#include "veil/ann/tables.h"

#include <sodium.h>

#include <cmath>
#include <string>

#include "veil/rlwe/errors.h"
#include "veil/search/key_identity.h"
#include "veil/search/parallel.h"

namespace veil::ann {

search::SearchConfig table_scan_config(const TableLayout& layout) {
  // The largest scale whose encoding meets the noise bound (tables gain
  // precision from every bit; 8-bit HERS templates stop at 127).
  search::SearchOptions o;
  o.dimension = layout.dimension;
  auto fits = [&](std::uint32_t s) {
    o.quant_scale = s;
    try {
      (void)search::SearchConfig::derive(o);
      return true;
    } catch (const rlwe::ParameterError&) {
      return false;
    }
  };
  // Margins shrink as the scale grows: bisect for the last scale that fits.
  std::uint32_t lo = 1, hi = search::kMaxExplicitQuantScale;
  while (lo < hi) {
    const std::uint32_t mid = lo + (hi - lo + 1) / 2;
    if (fits(mid)) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  o.quant_scale = lo;
  search::SearchConfig c = search::SearchConfig::derive(o);  // throws if even 1 fails
  c.dimension = layout.groups;
  c.expansion_levels = 0;
  while ((std::size_t{1} << c.expansion_levels) < layout.groups) ++c.expansion_levels;
  c.validate();
  return c;
}

search::QuantizedRows quantize_bounded(std::span<const float> values, std::size_t dimension,
                                       double bound, std::uint32_t scale) {
  if (dimension == 0 || values.size() % dimension != 0) {
    throw search::InputError("rows: " + std::to_string(values.size()) +
                             " values are not a whole number of rows of dimension " +
                             std::to_string(dimension));
  }
  if (!(bound > 0) || !std::isfinite(bound)) {
    throw search::InputError("rows: the norm bound must be positive and finite");
  }
  search::QuantizedRows out;
  out.rows = values.size() / dimension;
  out.dimension = dimension;
  out.values.resize(values.size());
  const double f = scale / bound;
  for (std::size_t i = 0; i < out.rows; ++i) {
    double norm2 = 0;
    for (std::size_t j = 0; j < dimension; ++j) {
      const double v = values[i * dimension + j];
      if (!std::isfinite(v)) {
        throw search::InputError("row " + std::to_string(i) + " has a value that is not finite");
      }
      norm2 += v * v;
    }
    // A relative 1e-6 of slack for norms computed in float elsewhere.
    if (std::sqrt(norm2) > bound * (1 + 1e-6)) {
      throw search::InputError("row " + std::to_string(i) + " has norm " +
                               std::to_string(std::sqrt(norm2)) + ", above the bound " +
                               std::to_string(bound));
    }
    for (std::size_t j = 0; j < dimension; ++j) {
      out.values[i * dimension + j] =
          static_cast<std::int16_t>(std::lround(values[i * dimension + j] * f));
    }
  }
  return out;
}

TableEncryptor::TableEncryptor(const search::SearchConfig& config, const TableLayout& layout,
                               rlwe::ContextPtr ctx, const rlwe::SecretKey& sk)
    : layout_(layout), encryptor_(config, std::move(ctx), sk) {}

std::vector<search::Words> TableEncryptor::encrypt(const search::QuantizedRows& rows,
                                                   std::size_t threads) const {
  std::vector<search::Words> blocks;
  for (std::size_t first = 0; first < rows.rows; first += layout_.slots()) {
    const std::size_t count = std::min(layout_.slots(), rows.rows - first);
    const search::QuantizedRows v = pack_table_block(layout_, rows, first, count);
    blocks.push_back(encryptor_.encrypt_block(v, 0, v.rows, threads));
  }
  return blocks;
}

TableServer::TableServer(const search::SearchConfig& config, const TableLayout& layout,
                         rlwe::ContextPtr ctx, rlwe::GaloisKeys keys, const io::KeyId& key_id,
                         std::size_t threads)
    : layout_(layout),
      server_(config, std::move(ctx), std::move(keys), key_id, threads),
      is_entry_(layout.n, 0) {
  for (std::size_t k = 0; k < layout_.slots(); ++k) is_entry_[layout_.position(k)] = 1;
}

search::EncryptedScores TableServer::evaluate(const search::EncryptedProbe& probe,
                                              std::span<const std::uint32_t* const> blocks,
                                              search::ScanTimings* timings) const {
  search::EncryptedScores s = server_.search(probe, blocks, timings);
  // Mask the coefficients that are not entries: x0 += u, u uniform mod p.
  // They hold partial products of other pairings (rows x probe) that the
  // key holder has no business seeing.
  const std::uint32_t p = static_cast<std::uint32_t>(server_.config().response_prime);
  const std::size_t n = layout_.n;
  std::vector<std::uint32_t> noise(n);
  for (std::size_t b = 0; b < s.blocks; ++b) {
    randombytes_buf(noise.data(), noise.size() * sizeof(std::uint32_t));
    std::uint32_t* x0 = s.words.data() + b * 2 * n;
    for (std::size_t k = 0; k < n; ++k) {
      if (is_entry_[k]) continue;
      // p is a 30-bit prime: 30 random bits are below it but for a
      // fraction 2^-30 x (2^30 - p); those few draw again uniformly.
      std::uint32_t u = noise[k] & ((1u << 30) - 1);
      if (u >= p) u = randombytes_uniform(p);
      const std::uint64_t v = static_cast<std::uint64_t>(x0[k]) + u;
      x0[k] = static_cast<std::uint32_t>(v >= p ? v - p : v);
    }
  }
  return s;
}

TableDecryptor::TableDecryptor(const search::SearchConfig& config, const TableLayout& layout,
                               rlwe::ContextPtr ctx, const rlwe::SecretKey& sk,
                               rlwe::GaloisKeys keys, const io::KeyId& key_id)
    : config_(config),
      layout_(layout),
      expander_(config, ctx, std::move(keys)),
      decryptor_(config, ctx, sk, key_id),
      key_id_(key_id) {}

search::ProbeKey TableDecryptor::prepare(const search::EncryptedProbe& probe,
                                         std::size_t threads) const {
  search::require_key(probe.key_id, key_id_, "probe");
  return decryptor_.prepare(expander_.expand(probe, threads ? threads : 1), threads);
}

std::vector<std::int64_t> TableDecryptor::decrypt(const search::EncryptedScores& scores,
                                                  const search::ProbeKey& key, std::size_t rows,
                                                  std::size_t threads) const {
  decryptor_.check(scores, key);
  if (scores.blocks != layout_.blocks_for(rows)) {
    throw rlwe::MismatchError("encrypted tables: " + std::to_string(scores.blocks) + " blocks, " +
                              std::to_string(rows) + " entries need " +
                              std::to_string(layout_.blocks_for(rows)));
  }
  std::vector<std::int64_t> out(rows);
  std::vector<double> failed(scores.blocks, 0);
  search::parallel_for(scores.blocks, threads ? threads : search::default_threads(),
                       [&](std::size_t b, std::size_t) {
                         thread_local std::vector<double> raw;
                         raw.resize(layout_.n);
                         decryptor_.decrypt_block_raw(scores, b, key, raw.data());
                         const std::size_t first = b * layout_.slots();
                         const std::size_t count = std::min(layout_.slots(), rows - first);
                         double worst = 0;
                         for (std::size_t k = 0; k < count; ++k) {
                           const double v = raw[layout_.position(k)];
                           const double r = std::nearbyint(v);
                           worst = std::max(worst, std::fabs(v - r));
                           out[first + k] = static_cast<std::int64_t>(r);
                         }
                         volatile double* wipe = raw.data();
                         for (std::size_t k = 0; k < layout_.n; ++k) wipe[k] = 0;
                         failed[b] = worst;
                       });
  for (std::size_t b = 0; b < scores.blocks; ++b) {
    if (failed[b] > search::kDecodeFailure) {
      volatile std::int64_t* wipe = out.data();
      for (std::size_t i = 0; i < out.size(); ++i) wipe[i] = 0;
      throw search::DecodeError("encrypted tables: block " + std::to_string(b) +
                                    " does not decode (probe or tables under another key, or "
                                    "an altered response)",
                                b);
    }
  }
  return out;
}

}  // namespace veil::ann

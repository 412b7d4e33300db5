#include "veil/collection/client.h"

#include <cstring>
#include <map>
#include <optional>

#include "veil/collection/sealed_probe.h"
#include "veil/io/text_check.h"
#include "veil/reduce/two_stage.h"
#include "veil/search/enroll.h"
#include "veil/search/probe.h"
#include "veil/search/quantize.h"

namespace veil::collection {

void check_enroll_input(const EnrollInput& in) {
  const std::size_t rows = in.embeddings.rows;
  const std::string& source = in.source;
  if (rows == 0) throw std::runtime_error(source + " holds no embeddings");
  if (in.ids.size() != rows) {
    throw std::runtime_error(source + ": " + std::to_string(in.ids.size()) + " ids for " +
                             std::to_string(rows) + " embeddings");
  }
  if (!in.labels.empty() && in.labels.size() != rows) {
    throw std::runtime_error(source + ": " + std::to_string(in.labels.size()) + " labels for " +
                             std::to_string(rows) + " embeddings");
  }
  std::map<std::string, std::size_t> seen;  // id -> its row
  for (std::size_t i = 0; i < rows; ++i) {
    if (in.ids[i].empty())
      throw std::runtime_error(source + ": row " + std::to_string(i) + ": empty id");
    if (auto problem = io::text_problem(in.ids[i]))
      throw std::runtime_error(source + ": row " + std::to_string(i) + ": id: " + *problem);
    if (!in.labels.empty()) {
      if (auto problem = io::text_problem(in.labels[i]))
        throw std::runtime_error(source + ": row " + std::to_string(i) + ": label: " + *problem);
    }
    auto [it, fresh] = seen.emplace(in.ids[i], i);
    if (!fresh) {
      throw std::runtime_error("id '" + in.ids[i] + "' appears twice in " + source + " (rows " +
                               std::to_string(it->second) + " and " + std::to_string(i) + ")");
    }
  }
}

std::vector<std::uint8_t> Client::encrypt_probe(const search::SearchConfig& c,
                                                std::span<const float> probe) const {
  if (probe.size() != c.dimension) {
    throw std::runtime_error("the probe has dimension " + std::to_string(probe.size()) +
                             "; the gallery holds templates of dimension " +
                             std::to_string(c.dimension));
  }
  const search::QuantizedRows q = search::quantize_rows(probe, c.dimension, c.quant_scale);
  return encrypt_quantized(c, q.row(0));
}

std::vector<std::uint8_t> Client::encrypt_quantized(const search::SearchConfig& c,
                                                    std::span<const std::int16_t> q) const {
  std::optional<search::ProbeEncryptor> enc;
  if (keys_.sk) {
    enc.emplace(c, keys_.ctx, *keys_.sk, keys_.key_id);
  } else if (keys_.pk) {
    enc.emplace(c, keys_.ctx, *keys_.pk, keys_.key_id);
  } else {
    throw std::runtime_error("encrypting a probe needs secret.key or public.key");
  }
  return search::save_probe(c, *keys_.ctx, enc->encrypt(q));
}

Client::TwoStageProbe Client::encrypt_two_stage_probe(
    const reduce::TwoStageConfig& c, const reduce::Reducer& model, std::span<const float> probe,
    std::span<const std::uint8_t> seal_key) const {
  const reduce::TwoStageLayout& l = c.layout;
  if (probe.size() != l.rows.dimension) {
    throw std::runtime_error("the probe has dimension " + std::to_string(probe.size()) +
                             "; the gallery holds templates of dimension " +
                             std::to_string(l.rows.dimension));
  }
  reduce::check_model(c, model);
  const search::QuantizedRows full = search::quantize_rows(probe, probe.size(), l.full_scale);
  const search::QuantizedRows coarse = reduce::reduce_probe(model, probe, l.coarse.quant_scale);
  TwoStageProbe out;
  out.probe = encrypt_quantized(l.coarse, coarse.row(0));
  FullProbe f{keys_.key_id, full.values};
  out.sealed_full = seal_full_probe(keys_.ctx->id(), f, seal_key);
  return out;
}

void Client::encrypt_blocks(const search::SearchConfig& c, const EnrollInput& in,
                            std::size_t threads,
                            const std::function<void(std::vector<std::uint8_t>&&)>& sink) const {
  check_enroll_input(in);
  if (in.embeddings.cols != c.dimension) {
    throw std::runtime_error("the gallery holds templates of dimension " +
                             std::to_string(c.dimension) + "; " + in.source + " has dimension " +
                             std::to_string(in.embeddings.cols));
  }
  search::QuantizedRows q;
  try {
    q = search::quantize_rows(in.embeddings.values, c.dimension, c.quant_scale);
  } catch (const search::InputError& e) {
    throw std::runtime_error(in.source + ": " + e.what());
  }
  std::optional<search::GalleryEncryptor> enc;
  if (c.gallery == search::Encryption::kPublicKey) {
    if (!keys_.gallery_pk)
      throw std::runtime_error("this gallery is enrolled with gallery.pub, which these keys lack");
    enc.emplace(c, keys_.ctx, *keys_.gallery_pk);
  } else {
    if (!keys_.sk) {
      throw std::runtime_error(
          "this gallery is enrolled with the secret key (made without --public-key); a third "
          "party cannot add to it");
    }
    enc.emplace(c, keys_.ctx, *keys_.sk);
  }
  const std::size_t rows = in.embeddings.rows, n = c.n;
  for (std::size_t first = 0; first < rows; first += n) {
    const std::size_t count = std::min(n, rows - first);
    const search::Words w = enc->encrypt_block(q, first, count, threads);
    EnrollBlock b;
    b.bytes.resize(c.block_bytes());
    std::memcpy(b.bytes.data(), w.data(), b.bytes.size());
    b.ids.assign(in.ids.begin() + first, in.ids.begin() + first + count);
    if (!in.labels.empty())
      b.labels.assign(in.labels.begin() + first, in.labels.begin() + first + count);
    sink(save_enroll_block(keys_.ctx->id(), keys_.key_id, b));
  }
}

void Client::encrypt_two_stage_blocks(
    const reduce::TwoStageConfig& c, std::shared_ptr<const reduce::Reducer> model,
    const EnrollInput& in, std::size_t threads,
    const std::function<void(std::vector<std::uint8_t>&&)>& sink) const {
  check_enroll_input(in);
  const reduce::TwoStageLayout& l = c.layout;
  if (in.embeddings.cols != l.rows.dimension) {
    throw std::runtime_error("the gallery holds templates of dimension " +
                             std::to_string(l.rows.dimension) + "; " + in.source +
                             " has dimension " + std::to_string(in.embeddings.cols));
  }
  if (!keys_.sk) {
    throw std::runtime_error(
        "a two-stage gallery is enrolled with the secret key (its stage-2 rows are keyed from "
        "it); these keys have none");
  }
  reduce::check_model(c, *model);
  const reduce::TwoStageEnroller enc(l, keys_.ctx, *keys_.sk, std::move(model));
  reduce::TwoStageRows rows;
  try {
    rows = enc.prepare(in.embeddings);
  } catch (const search::InputError& e) {
    throw std::runtime_error(in.source + ": " + e.what());
  }
  const std::size_t n = l.coarse.n;
  for (std::size_t first = 0; first < rows.rows(); first += n) {
    const std::size_t count = std::min(n, rows.rows() - first);
    EnrollBlock b;
    b.bytes.resize(l.block_bytes());
    enc.encrypt_block(rows, first, count, b.bytes, threads);
    b.ids.assign(in.ids.begin() + first, in.ids.begin() + first + count);
    if (!in.labels.empty())
      b.labels.assign(in.labels.begin() + first, in.labels.begin() + first + count);
    sink(save_enroll_block(keys_.ctx->id(), keys_.key_id, b));
  }
}

}  // namespace veil::collection

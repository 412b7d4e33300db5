#include "veil/reduce/two_stage.h"

#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "veil/io/elapsed.h"
#include "veil/search/quantize.h"
#include "veil/search/rerank_wire.h"

namespace veil::reduce {

namespace {

using Clock = std::chrono::steady_clock;
using io::ms_since;

data::Matrix one_row(std::span<const float> v) {
  data::Matrix m;
  m.rows = 1;
  m.cols = v.size();
  m.values.assign(v.begin(), v.end());
  return m;
}

data::Matrix slice_rows(const data::Matrix& m, std::size_t first, std::size_t count) {
  data::Matrix out;
  out.rows = count;
  out.cols = m.cols;
  out.values.assign(m.row(first), m.row(first) + count * m.cols);
  return out;
}

}  // namespace

static void check_reducer(const TwoStageLayout& l, const Reducer& r) {
  if (r.input_dim() != l.rows.dimension || r.output_dim() != l.coarse.dimension) {
    throw std::invalid_argument(
        "two-stage search: the reduction maps " + std::to_string(r.input_dim()) + "->" +
        std::to_string(r.output_dim()) + ", the gallery needs " + std::to_string(l.rows.dimension) +
        "->" + std::to_string(l.coarse.dimension));
  }
}

TwoStageEnroller::TwoStageEnroller(const TwoStageLayout& layout, rlwe::ContextPtr ctx,
                                   const rlwe::SecretKey& sk,
                                   std::shared_ptr<const Reducer> reducer)
    : layout_(layout),
      reducer_(std::move(reducer)),
      stage1_(layout.coarse, ctx, sk),
      stage2_(*ctx, sk, layout.rows) {
  check_reducer(layout_, *reducer_);
}

TwoStageRows TwoStageEnroller::prepare(const data::Matrix& full) const {
  if (full.cols != layout_.rows.dimension) {
    throw search::InputError("two-stage enrollment: templates have dimension " +
                             std::to_string(full.cols) + ", expected " +
                             std::to_string(layout_.rows.dimension));
  }
  TwoStageRows out;
  // Quantising first refuses bad rows (NaN, zero) before the model runs.
  out.full = search::quantize_rows(full.values, full.cols, layout_.full_scale);
  const data::Matrix reduced = reducer_->apply(full);
  try {
    out.coarse = search::quantize_rows(reduced.values, reduced.cols, layout_.coarse.quant_scale);
  } catch (const search::InputError& e) {
    throw search::InputError(std::string("after the reduction model (stage 1): ") + e.what());
  }
  return out;
}

void TwoStageEnroller::encrypt_block(const TwoStageRows& rows, std::size_t first, std::size_t count,
                                     std::span<std::uint8_t> out, std::size_t threads) const {
  if (rows.full.dimension != layout_.rows.dimension ||
      rows.coarse.dimension != layout_.coarse.dimension || rows.coarse.rows != rows.full.rows) {
    throw std::invalid_argument("two-stage enrollment: rows prepared for another layout");
  }
  if (out.size() != layout_.block_bytes() || first > rows.rows() || count > rows.rows() - first ||
      count > layout_.coarse.n || count == 0) {
    throw std::invalid_argument("two-stage enrollment: rows [" + std::to_string(first) + ", +" +
                                std::to_string(count) + ") of " + std::to_string(rows.rows()) +
                                " into a block of " + std::to_string(out.size()) + " bytes");
  }
  const search::Words words = stage1_.encrypt_block(rows.coarse, first, count, threads);
  std::memcpy(out.data(), words.data(), layout_.stage1_bytes());
  stage2_.encrypt_block(rows.full, first, count, out.subspan(layout_.stage1_bytes()));
}

void TwoStageEnroller::encrypt_block(const data::Matrix& full, std::size_t first, std::size_t count,
                                     std::span<std::uint8_t> out, std::size_t threads) const {
  if (first > full.rows || count > full.rows - first) {
    throw std::invalid_argument("two-stage enrollment: rows [" + std::to_string(first) + ", +" +
                                std::to_string(count) + ") of " + std::to_string(full.rows));
  }
  encrypt_block(prepare(slice_rows(full, first, count)), 0, count, out, threads);
}

search::QuantizedRows reduce_probe(const Reducer& reducer, std::span<const float> probe,
                                   std::uint32_t scale) {
  const data::Matrix reduced = reducer.apply(one_row(probe));
  try {
    return search::quantize_rows(reduced.values, reduced.cols, scale);
  } catch (const search::InputError&) {
    throw search::InputError(
        "the reduction model maps the probe to a zero or non-finite vector (stage 1 cannot "
        "score it)");
  }
}

TwoStageSearcher::TwoStageSearcher(const TwoStageLayout& layout, rlwe::ContextPtr ctx,
                                   const rlwe::SecretKey& sk, const io::KeyId& key_id,
                                   rlwe::GaloisKeys expansion_keys,
                                   std::shared_ptr<const Reducer> reducer,
                                   std::vector<const std::uint8_t*> blocks, std::size_t templates,
                                   std::size_t threads)
    : layout_(layout),
      ctx_(ctx),
      reducer_(std::move(reducer)),
      templates_(templates),
      threads_(threads),
      client_(layout.coarse, ctx, sk, key_id),
      server_(layout.coarse, ctx, std::move(expansion_keys), key_id, threads),
      key_holder_(layout.coarse, ctx, sk, key_id),
      rows_(*ctx, sk, layout.rows) {
  check_reducer(layout_, *reducer_);
  if (templates_ > blocks.size() * layout_.coarse.n) {
    throw std::invalid_argument("two-stage search: " + std::to_string(templates_) +
                                " templates in " + std::to_string(blocks.size()) + " blocks");
  }
  for (const std::uint8_t* b : blocks) {
    if (reinterpret_cast<std::uintptr_t>(b) % 64 != 0) {
      throw std::invalid_argument("two-stage search: blocks must be 64-byte aligned");
    }
    stage1_.push_back(reinterpret_cast<const std::uint32_t*>(b));
    stage2_.push_back(b + layout_.stage1_bytes());
  }
}

TwoStageResult TwoStageSearcher::search(std::span<const float> probe, std::size_t candidates,
                                        std::size_t k, const SlotFilter& live) const {
  if (probe.size() != layout_.rows.dimension) {
    throw search::InputError("two-stage search: probe has dimension " +
                             std::to_string(probe.size()) + ", expected " +
                             std::to_string(layout_.rows.dimension));
  }
  if (k == 0 || candidates < k) {
    throw std::invalid_argument("two-stage search: K = " + std::to_string(candidates) +
                                " candidates for the top " + std::to_string(k) +
                                " (expected K >= k >= 1)");
  }
  TwoStageResult r;
  // Key holder: the full probe (quantised for stage 2) and the reduced one, encrypted.
  auto t = Clock::now();
  const search::QuantizedRows q_full =
      search::quantize_rows(probe, probe.size(), layout_.full_scale);
  const search::QuantizedRows q_coarse = reduce_probe(*reducer_, probe, layout_.coarse.quant_scale);
  r.ms.reduce_probe = ms_since(t);
  t = Clock::now();
  const search::EncryptedProbe encrypted = client_.encrypt(q_coarse.row(0));
  r.ms.encrypt_probe = ms_since(t);
  r.probe_bytes = search::save_probe(layout_.coarse, *ctx_, encrypted).size();

  // Server, stage 1.
  t = Clock::now();
  const search::Words expanded = server_.expand(encrypted);
  r.ms.expand = ms_since(t);
  search::ScanTimings scan;
  const search::EncryptedScores scores = server_.score(expanded, stage1_, &scan);
  r.ms.scan = scan.scan_s * 1e3;
  r.ms.switch_down = scan.reduce_s * 1e3;
  if (scores_bytes_ == 0) scores_bytes_ = search::save_scores(layout_.coarse, scores).size();
  r.scores_bytes = scores_bytes_;

  // Key holder, stage 1: in one process it reuses the server's expansion
  // (a deployed key holder expands the probe itself while the server scans).
  t = Clock::now();
  const search::ProbeKey key = key_holder_.prepare(expanded, threads_);
  r.ms.prepare = ms_since(t);
  t = Clock::now();
  const std::vector<std::int64_t> coarse = key_holder_.decrypt(scores, key, threads_);
  r.ms.decrypt = ms_since(t);
  t = Clock::now();
  r.coarse =
      live ? search::top_k(coarse, candidates,
                           [&](std::size_t i) { return i < templates_ && live(i); })
           : search::top_k(coarse, candidates, [this](std::size_t i) { return i < templates_; });
  std::vector<std::uint64_t> wanted;
  wanted.reserve(r.coarse.size());
  for (const search::Match& m : r.coarse) wanted.push_back(m.index);
  const std::vector<std::uint8_t> request = search::save_candidate_request(ctx_->id(), wanted);
  r.ms.select = ms_since(t);
  r.request_bytes = request.size();

  // Server, stage 2: only the K requested rows.
  t = Clock::now();
  const std::vector<std::uint8_t> answer = search::save_candidate_rows(
      ctx_->id(), search::gather_rows(layout_.rows, stage2_,
                                      search::load_candidate_request(
                                          request, ctx_->id(), stage2_.size() * layout_.rows.n)));
  r.ms.gather = ms_since(t);
  r.rows_bytes = answer.size();

  // Key holder, stage 2.
  t = Clock::now();
  r.matches = rows_.rescore(search::load_candidate_rows(answer, ctx_->id(), layout_.rows, wanted),
                            q_full.row(0), k);
  r.ms.rescore = ms_since(t);
  return r;
}

}  // namespace veil::reduce

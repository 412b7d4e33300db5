// The key holder role (a key service, or the key owner in one process):
// holds secret.key and expansion.keys, receives a probe and the server's
// encrypted scores for it (never a template), decrypts, ranks and maps the
// best slots to ids from its own copy of the slot table (wire.h), so no
// per-query lookup goes back to the server. It releases ids, not scores:
// scores only rounded and only when asked (docs/search.md says why).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>

#include "veil/collection/keys.h"
#include "veil/collection/wire.h"
#include "veil/reduce/two_stage_config.h"
#include "veil/search/config.h"
#include "veil/search/key_holder.h"
#include "veil/search/probe.h"

namespace veil::collection {

// Which slots hold live templates, and their ids.
class SlotLookup {
 public:
  virtual ~SlotLookup() = default;
  virtual std::size_t slots() const = 0;  // slots covered (blocks x slots per block)
  virtual bool live(std::size_t slot) const = 0;
  virtual std::string id(std::size_t slot) const = 0;
  virtual std::string label(std::size_t slot) const = 0;
};

class TableLookup : public SlotLookup {
 public:
  explicit TableLookup(const SlotTable& t) : t_(t) {}
  std::size_t slots() const override { return t_.ids.size(); }
  bool live(std::size_t slot) const override { return t_.is_live(slot); }
  std::string id(std::size_t slot) const override { return t_.ids.at(slot); }
  std::string label(std::size_t slot) const override { return t_.labels.at(slot); }

 private:
  const SlotTable& t_;
};

struct RankQuery {
  std::size_t k = 10;
  std::optional<double> threshold;  // cosine: every match at or above it instead of top-k
  bool with_scores = false;         // rounded cosines in the answer
};

// Raised when the scores cover slots the table does not know: the caller
// fetches a fresh table and retries.
class StaleTableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RankTimings {
  // prepare: reading the response and making the probe key, including
  // expand: the key holder's own expansion of the probe (0 when given one).
  double prepare_ms = 0, decrypt_ms = 0, expand_ms = 0;
};

class KeyHolder {
 public:
  // `keys` must hold secret.key and expansion.keys; they must outlive this.
  KeyHolder(const KeyDir& keys, std::size_t threads);

  // The best live slots, best first, with exact scores: for the key owner's
  // own use in one process. `expanded`: the probe's expansion when the
  // caller already has it (one process), else the key holder expands it.
  // Throws KeyMismatchError (another key set), search::DecodeError (a block
  // that does not decode), StaleTableError, io::FormatError (bad bytes).
  std::vector<search::Match> matches(const search::SearchConfig& c,
                                     std::span<const std::uint8_t> probe,
                                     std::span<const std::uint8_t> scores, const SlotLookup& slots,
                                     const RankQuery& q, RankTimings* timings = nullptr,
                                     const search::Words* expanded = nullptr) const;

  // The same as ids: what a key service releases.
  RankedAnswer rank(const search::SearchConfig& c, std::span<const std::uint8_t> probe,
                    std::span<const std::uint8_t> scores, const SlotLookup& slots,
                    const RankQuery& q, RankTimings* timings = nullptr) const;

  // Two-stage galleries, in two calls (a key service's Shortlist and
  // Rescore). Step 1: the `candidates` (K) best live stage-1 slots, best
  // first: the rows the key holder asks the server for (the server learns
  // which K slots these are, never their scores).
  std::vector<std::uint64_t> shortlist(const reduce::TwoStageConfig& c,
                                       std::span<const std::uint8_t> probe,
                                       std::span<const std::uint8_t> scores,
                                       const SlotLookup& slots, std::size_t candidates,
                                       RankTimings* timings = nullptr) const;
  // Step 2: `rows` (a CandidateRows envelope answering exactly `requested`)
  // decrypted and scored against the full probe (quantised at the config's
  // full scale); top-k or the threshold among them, as rank() releases
  // them, cosines at the full scale. io::FormatError for bad rows.
  RankedAnswer rescore(const reduce::TwoStageConfig& c, std::span<const std::uint8_t> rows,
                       std::span<const std::uint64_t> requested,
                       std::span<const std::int16_t> full_probe, const SlotLookup& slots,
                       const RankQuery& q) const;

  const KeyDir& keys() const { return keys_; }

 private:
  struct PerConfig {
    search::ScoreDecryptor decryptor;
    search::ProbeExpander expander;
  };
  const PerConfig& for_config(const search::SearchConfig& c) const;
  const KeyDir& keys_;
  std::size_t threads_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::unique_ptr<PerConfig>> per_config_;  // by saved config bytes
};

}  // namespace veil::collection

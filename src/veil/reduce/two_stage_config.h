// What a two-stage gallery store records about itself (its opaque
// search_config bytes): the stage-1 search configuration, the stage-2 rows,
// and the fingerprint of the reduction model its blocks were made with.
//
// io envelope of type TwoStageConfig (16), the parameter set's id. Payload:
//   u32 version, u64 length + the stage-1 SearchConfig envelope,
//   u64 full dimension, u32 full-dimension quantisation scale,
//   u8 model kind, 32 bytes model fingerprint (BLAKE2b-256 of the model
//   file's bytes). The model maps the full dimension to the stage-1 one.
// The model itself is too large for the store manifest (a DeepMDS++ stage
// from 512-d is over 1 MB), so the store keeps it beside the blocks as a
// file whose fingerprint must match.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "veil/reduce/model.h"
#include "veil/reduce/two_stage.h"

namespace veil::reduce {

inline constexpr std::uint32_t kTwoStageConfigVersion = 1;

using ModelFingerprint = std::array<std::uint8_t, 32>;

// BLAKE2b-256 of save_model(model): equal models, equal fingerprints.
ModelFingerprint model_fingerprint(const Reducer& model);
std::string to_hex(const ModelFingerprint& f);

struct TwoStageConfig {
  TwoStageLayout layout;
  ModelKind model_kind = ModelKind::kPca;
  ModelFingerprint model{};
  bool operator==(const TwoStageConfig& o) const {
    return layout.coarse.id() == o.layout.coarse.id() && layout.rows.n == o.layout.rows.n &&
           layout.rows.dimension == o.layout.rows.dimension &&
           layout.full_scale == o.layout.full_scale && model_kind == o.model_kind &&
           model == o.model;
  }
};

// The layout for `model` (full dimension = its input, coarse = its output).
TwoStageConfig make_two_stage_config(const search::SearchConfig& coarse, const Reducer& model,
                                     std::uint32_t full_scale = search::kMaxQuantScale);

std::vector<std::uint8_t> save_two_stage_config(const TwoStageConfig& c, std::uint64_t param_id);
// io::FormatError for malformed bytes, an invalid stage-1 configuration, a
// public-key stage 1, or dimensions that do not fit together.
TwoStageConfig load_two_stage_config(std::span<const std::uint8_t> bytes);

// Throws std::invalid_argument when `model` is not the one the config names
// (dimensions, kind or fingerprint), saying which.
void check_model(const TwoStageConfig& c, const Reducer& model);

}  // namespace veil::reduce

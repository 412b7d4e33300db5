#include "veil/reduce/two_stage_config.h"

#include <sodium.h>

#include <stdexcept>

#include "veil/io/byte_io.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/search/quantize.h"

namespace veil::reduce {

namespace {
constexpr std::uint64_t kMaxPayload = 8192;  // a search config is a few hundred bytes
}

ModelFingerprint model_fingerprint(const Reducer& model) {
  const std::vector<std::uint8_t> bytes = save_model(model);
  ModelFingerprint f;
  crypto_generichash(f.data(), f.size(), bytes.data(), bytes.size(), nullptr, 0);
  return f;
}

std::string to_hex(const ModelFingerprint& f) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (std::uint8_t b : f) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

TwoStageConfig make_two_stage_config(const search::SearchConfig& coarse, const Reducer& model,
                                     std::uint32_t full_scale) {
  if (model.output_dim() != coarse.dimension) {
    throw std::invalid_argument(
        "two-stage gallery: the model maps to " + std::to_string(model.output_dim()) +
        " dimensions, the stage-1 configuration has " + std::to_string(coarse.dimension));
  }
  TwoStageConfig c;
  c.layout = make_two_stage_layout(coarse, model.input_dim(), full_scale);
  c.model_kind = model.kind();
  c.model = model_fingerprint(model);
  return c;
}

std::vector<std::uint8_t> save_two_stage_config(const TwoStageConfig& c, std::uint64_t param_id) {
  const std::vector<std::uint8_t> coarse = search::save_config(c.layout.coarse, param_id);
  io::ByteWriter w;
  w.put_u32(kTwoStageConfigVersion);
  w.put_u64(coarse.size());
  w.put_bytes(coarse);
  w.put_u64(c.layout.rows.dimension);
  w.put_u32(c.layout.full_scale);
  w.put_u8(static_cast<std::uint8_t>(c.model_kind));
  w.put_bytes(c.model);
  return io::seal_envelope(io::ObjectType::TwoStageConfig, param_id, w.bytes());
}

TwoStageConfig load_two_stage_config(std::span<const std::uint8_t> bytes) {
  const io::Envelope env =
      io::open_envelope(bytes, io::ObjectType::TwoStageConfig, std::nullopt, kMaxPayload);
  io::ByteReader r(env.payload);
  const std::uint32_t version = r.get_u32("version");
  if (version != kTwoStageConfigVersion) {
    throw io::FormatError("two-stage config: version " + std::to_string(version) + ", expected " +
                          std::to_string(kTwoStageConfigVersion));
  }
  const std::uint64_t coarse_size = r.get_count("stage-1 config size", kMaxPayload, 1);
  const auto coarse_bytes = r.get_bytes("stage-1 config", coarse_size);
  const search::SearchConfig coarse = search::load_config(coarse_bytes);
  // The same parameter set as the outer envelope (FormatError otherwise).
  io::open_envelope(coarse_bytes, io::ObjectType::SearchConfig, env.param_id, kMaxPayload);
  const std::uint64_t full_dim = r.get_u64("full dimension");
  const std::uint32_t full_scale = r.get_u32("full-dimension scale");
  const std::uint8_t kind = r.get_u8("model kind");
  auto fingerprint = r.get_bytes("model fingerprint", 32);
  r.expect_end();
  if (kind != static_cast<std::uint8_t>(ModelKind::kPca) &&
      kind != static_cast<std::uint8_t>(ModelKind::kDeepMds)) {
    throw io::FormatError("two-stage config: model kind " + std::to_string(kind) +
                          ", expected 1 (pca) or 2 (deepmds)");
  }
  if (full_dim > search::kMaxRowDimension) {
    throw io::FormatError("two-stage config: full dimension " + std::to_string(full_dim) +
                          " above " + std::to_string(search::kMaxRowDimension));
  }
  TwoStageConfig c;
  try {
    c.layout = make_two_stage_layout(coarse, full_dim, full_scale);
  } catch (const std::invalid_argument& e) {
    throw io::FormatError(std::string("two-stage config: ") + e.what());
  }
  c.model_kind = static_cast<ModelKind>(kind);
  std::copy(fingerprint.begin(), fingerprint.end(), c.model.begin());
  return c;
}

void check_model(const TwoStageConfig& c, const Reducer& model) {
  if (model.input_dim() != c.layout.rows.dimension ||
      model.output_dim() != c.layout.coarse.dimension) {
    throw std::invalid_argument("the reduction model maps " + std::to_string(model.input_dim()) +
                                "->" + std::to_string(model.output_dim()) +
                                ", the gallery was made with a " +
                                std::to_string(c.layout.rows.dimension) + "->" +
                                std::to_string(c.layout.coarse.dimension) + " model");
  }
  if (model.kind() != c.model_kind || model_fingerprint(model) != c.model) {
    throw std::invalid_argument("the reduction model (" + model.describe() + ", fingerprint " +
                                to_hex(model_fingerprint(model)).substr(0, 16) +
                                ") is not the one the gallery was made with (" +
                                to_string(c.model_kind) + ", fingerprint " +
                                to_hex(c.model).substr(0, 16) + ")");
  }
}

// Here rather than in two_stage.cpp: opening a store needs the layout, not
// the searcher (whose key holder decrypts).
TwoStageLayout make_two_stage_layout(const search::SearchConfig& coarse, std::size_t full_dimension,
                                     std::uint32_t full_scale) {
  if (coarse.gallery != search::Encryption::kSecretKey) {
    throw std::invalid_argument(
        "two-stage search needs a secret-key gallery (stage-2 rows are keyed from the secret "
        "key); got a " +
        search::to_string(coarse.gallery) + " gallery");
  }
  if (full_scale == 0 || full_scale > search::kMaxQuantScale) {
    throw std::invalid_argument("two-stage search: full-dimension scale " +
                                std::to_string(full_scale) + ", expected 1.." +
                                std::to_string(search::kMaxQuantScale));
  }
  if (full_dimension < coarse.dimension) {
    throw std::invalid_argument("two-stage search: full dimension " +
                                std::to_string(full_dimension) + " below the coarse dimension " +
                                std::to_string(coarse.dimension));
  }
  TwoStageLayout l;
  l.coarse = coarse;
  l.rows = search::RowLayout{coarse.n, full_dimension};
  l.full_scale = full_scale;
  return l;
}

}  // namespace veil::reduce

// A two-stage store's configuration: round trip, the model fingerprint, and
// malformed or inconsistent bytes refused.
#include <gtest/gtest.h>

#include "search/search_fixture.h"
#include "veil/io/byte_io.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/reduce/pca.h"
#include "veil/reduce/two_stage_config.h"
#include "veil/rlwe/params.h"

namespace veil::reduce {
namespace {

data::Matrix training_rows(std::size_t rows, std::size_t dim, std::uint32_t seed) {
  return data::Matrix{rows, dim, search::testing::random_rows(rows, dim, seed)};
}

struct ConfigFixture {
  search::SearchConfig coarse = search::SearchConfig::derive({.dimension = 8});
  PcaModel model = PcaModel::fit(training_rows(200, 32, 3), 8);
  std::uint64_t param_id = rlwe::Parameters::create(coarse.parameter_literal())->id();
  TwoStageConfig config = make_two_stage_config(coarse, model);
};

TEST(TwoStageConfig, RoundTrips) {
  ConfigFixture f;
  EXPECT_EQ(f.config.layout.rows.dimension, 32u);
  EXPECT_EQ(f.config.layout.coarse.dimension, 8u);
  EXPECT_EQ(f.config.model_kind, ModelKind::kPca);
  const auto bytes = save_two_stage_config(f.config, f.param_id);
  EXPECT_EQ(io::peek_type(bytes), io::ObjectType::TwoStageConfig);
  const TwoStageConfig back = load_two_stage_config(bytes);
  EXPECT_EQ(back, f.config);
  EXPECT_EQ(back.layout.block_bytes(), f.config.layout.block_bytes());
  EXPECT_EQ(save_two_stage_config(back, f.param_id), bytes);
}

TEST(TwoStageConfig, FingerprintTellsModelsApart) {
  ConfigFixture f;
  const PcaModel same = PcaModel::fit(training_rows(200, 32, 3), 8);
  const PcaModel other = PcaModel::fit(training_rows(200, 32, 4), 8);
  EXPECT_EQ(model_fingerprint(same), model_fingerprint(f.model));
  EXPECT_NE(model_fingerprint(other), model_fingerprint(f.model));
  EXPECT_NO_THROW(check_model(f.config, same));
  EXPECT_THROW(check_model(f.config, other), std::invalid_argument);
  EXPECT_THROW(check_model(f.config, PcaModel::fit(training_rows(200, 32, 3), 7)),
               std::invalid_argument);
  EXPECT_EQ(to_hex(f.config.model).size(), 64u);
}

TEST(TwoStageConfig, BadConfigsAreRefused) {
  ConfigFixture f;
  // The model must map to the stage-1 dimension; stage 1 must be secret-key.
  EXPECT_THROW(make_two_stage_config(search::SearchConfig::derive({.dimension = 9}), f.model),
               std::invalid_argument);
  EXPECT_THROW(
      make_two_stage_config(
          search::SearchConfig::derive({.dimension = 8, .gallery = search::Encryption::kPublicKey}),
          f.model),
      std::invalid_argument);
  const auto bytes = save_two_stage_config(f.config, f.param_id);
  auto truncated = bytes;
  truncated.pop_back();
  EXPECT_THROW(load_two_stage_config(truncated), io::FormatError);
  auto flipped = bytes;
  flipped[100] ^= 1;
  EXPECT_THROW(load_two_stage_config(flipped), io::FormatError);
  // A well-sealed payload whose fields disagree: a 4-d "full" dimension below
  // the 8-d stage 1.
  const auto env = io::open_envelope(bytes, io::ObjectType::TwoStageConfig, f.param_id, 1 << 20);
  std::vector<std::uint8_t> payload(env.payload.begin(), env.payload.end());
  const std::size_t full_dim_at = 12 + search::save_config(f.coarse, f.param_id).size();
  ASSERT_EQ(payload[full_dim_at], 32);
  payload[full_dim_at] = 4;
  EXPECT_THROW(
      load_two_stage_config(io::seal_envelope(io::ObjectType::TwoStageConfig, f.param_id, payload)),
      io::FormatError);
  // Another parameter id on the outer envelope than on the stage-1 config.
  std::vector<std::uint8_t> good(env.payload.begin(), env.payload.end());
  EXPECT_THROW(load_two_stage_config(
                   io::seal_envelope(io::ObjectType::TwoStageConfig, f.param_id + 1, good)),
               io::FormatError);
}

}  // namespace
}  // namespace veil::reduce

// The model file: round trips of both kinds and every refusal of load_model.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "reduce/reduce_test_util.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/reduce/deep_mds.h"
#include "veil/reduce/model.h"
#include "veil/reduce/pca.h"

namespace veil::reduce {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Payload offsets of the common header (model.h) and of the first fields.
constexpr std::size_t kKind = 4, kInputDim = 5, kOutputDim = 13, kFields = 21;

const PcaModel& pca() {  // 12 -> 5
  static const PcaModel m = PcaModel::fit(test::gaussian_matrix(40, 12, 21), 5);
  return m;
}

const DeepMdsModel& mds() {  // 12 -> 6 -> 3, one block per stage
  static const DeepMdsModel m = test::random_deep_mds(12, {6, 3}, 1, 22);
  return m;
}

Bytes payload_of(const Bytes& file) {
  const io::Envelope env = io::open_envelope(file, io::ObjectType::ReductionModel, 0, 1 << 30);
  return Bytes(env.payload.begin(), env.payload.end());
}

Bytes seal(const Bytes& payload) {
  return io::seal_envelope(io::ObjectType::ReductionModel, 0, payload);
}

void put_le(Bytes& b, std::size_t pos, std::uint64_t v, std::size_t width) {
  for (std::size_t i = 0; i < width; ++i) b.at(pos + i) = static_cast<std::uint8_t>(v >> (8 * i));
}

std::string load_error(const Bytes& file, std::optional<std::size_t> in = std::nullopt,
                       std::optional<std::size_t> out = std::nullopt) {
  try {
    load_model(file, "m.veil", in, out);
  } catch (const io::FormatError& e) {
    return e.what();
  }
  return "(loaded)";
}

// Payload with a change, resealed so that the checksum holds and the
// model's own checks are what refuses it.
template <class Edit>
std::string edited_error(const Reducer& model, Edit edit) {
  Bytes p = payload_of(save_model(model));
  edit(p);
  return load_error(seal(p));
}

void expect_same_apply(const Reducer& a, const Reducer& b, const data::Matrix& x) {
  const data::Matrix ya = a.apply(x), yb = b.apply(x);
  ASSERT_EQ(ya.rows, yb.rows);
  ASSERT_EQ(ya.cols, yb.cols);
  EXPECT_EQ(std::memcmp(ya.values.data(), yb.values.data(), ya.values.size() * sizeof(float)), 0);
}

TEST(ModelFile, PcaRoundTripIsBitIdentical) {
  const Bytes bytes = save_model(pca());
  const auto loaded = load_model(bytes, "m.veil", 12, 5);
  ASSERT_EQ(loaded->kind(), ModelKind::kPca);
  EXPECT_EQ(loaded->describe(), pca().describe());
  const auto& p = dynamic_cast<const PcaModel&>(*loaded);
  EXPECT_EQ(p.options().center, pca().options().center);
  EXPECT_EQ(p.options().normalize_input_rows, pca().options().normalize_input_rows);
  EXPECT_EQ(p.explained_variance(), pca().explained_variance());
  EXPECT_EQ(p.total_variance(), pca().total_variance());
  expect_same_apply(pca(), *loaded, test::gaussian_matrix(30, 12, 23));
  EXPECT_EQ(save_model(*loaded), bytes);
}

TEST(ModelFile, UncentredPcaKeepsItsOptions) {
  const PcaModel m = PcaModel::fit(test::gaussian_matrix(20, 6, 24), 3,
                                   {.center = false, .normalize_input_rows = false});
  const auto loaded = load_model(save_model(m));
  const auto& p = dynamic_cast<const PcaModel&>(*loaded);
  EXPECT_FALSE(p.options().center);
  EXPECT_FALSE(p.options().normalize_input_rows);
  expect_same_apply(m, p, test::gaussian_matrix(10, 6, 25));
}

TEST(ModelFile, DeepMdsRoundTripIsBitIdentical) {
  const Bytes bytes = save_model(mds());
  const auto loaded = load_model(bytes, "m.veil", 12, 3);
  ASSERT_EQ(loaded->kind(), ModelKind::kDeepMds);
  EXPECT_EQ(loaded->describe(), "deepmds 12->3 (2 stages)");
  EXPECT_EQ(dynamic_cast<const DeepMdsModel&>(*loaded).stages().at(1).blocks.size(), 1u);
  expect_same_apply(mds(), *loaded, test::gaussian_matrix(30, 12, 26));
  EXPECT_EQ(save_model(*loaded), bytes);
}

TEST(ModelFile, WriteAndReadAFile) {
  const std::filesystem::path path =
      std::filesystem::path(::testing::TempDir()) / "veil_test_model_file.veil";
  write_model(path, mds());
  const auto loaded = read_model(path, 12, 3);
  expect_same_apply(mds(), *loaded, test::gaussian_matrix(5, 12, 27));
  try {
    read_model(path, 128, 3);
    ADD_FAILURE() << "read_model accepted 12->3 for 128->3";
  } catch (const io::FormatError& e) {
    EXPECT_EQ(std::string(e.what()), path.string() + ": model maps 12->3, expected 128->3");
  }
  std::filesystem::remove(path);
  EXPECT_THROW(read_model(path), std::system_error);
}

TEST(ModelFile, RefusesOtherDimensions) {
  const Bytes bytes = save_model(pca());
  EXPECT_EQ(load_error(bytes, 128, 5), "m.veil: model maps 12->5, expected 128->5");
  EXPECT_EQ(load_error(bytes, 12, 32), "m.veil: model maps 12->5, expected 12->32");
  EXPECT_EQ(load_error(bytes, std::nullopt, 4), "m.veil: model maps 12->5, expected *->4");
  EXPECT_EQ(load_error(bytes, 512), "m.veil: model maps 12->5, expected 512->*");
  EXPECT_EQ(load_error(bytes, 12), "(loaded)");
}

TEST(ModelFile, RefusesEveryTruncation) {
  for (const Reducer* m :
       {static_cast<const Reducer*>(&pca()), static_cast<const Reducer*>(&mds())}) {
    const Bytes file = save_model(*m);
    // The file cut short: the envelope refuses it.
    for (std::size_t cut = 0; cut < file.size(); ++cut) {
      const std::string e =
          load_error(Bytes(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(cut)));
      EXPECT_EQ(e.rfind("m.veil: ", 0), 0u) << m->describe() << " cut " << cut << ": " << e;
    }
    // The payload cut short inside a valid envelope: the model reader refuses it.
    const Bytes payload = payload_of(file);
    for (std::size_t cut = 0; cut < payload.size(); ++cut) {
      const std::string e = load_error(
          seal(Bytes(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(cut))));
      EXPECT_EQ(e.rfind("m.veil: ", 0), 0u) << m->describe() << " cut " << cut << ": " << e;
      EXPECT_NE(e.find("truncated"), std::string::npos)
          << m->describe() << " cut " << cut << ": " << e;
    }
  }
}

TEST(ModelFile, TruncationNamesTheField) {
  const Bytes payload = payload_of(save_model(pca()));  // 12 -> 5
  auto cut = [&](std::size_t n) {
    return load_error(
        seal(Bytes(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(n))));
  };
  constexpr std::size_t kVariance = kFields + 1 + 8, kMean = kVariance + 5 * 8;
  EXPECT_EQ(cut(kVariance + 3),
            "m.veil: truncated: needed 40 bytes for 'pca explained variance', 3 left");
  EXPECT_EQ(cut(kMean + 2), "m.veil: truncated: needed 48 bytes for 'pca mean', 2 left");
  EXPECT_EQ(cut(kKind), "m.veil: truncated: needed 1 bytes for 'model kind', 0 left");
}

TEST(ModelFile, RefusesTrailingBytes) {
  for (const Reducer* m :
       {static_cast<const Reducer*>(&pca()), static_cast<const Reducer*>(&mds())}) {
    Bytes payload = payload_of(save_model(*m));
    payload.push_back(0);
    const std::string e = load_error(seal(payload));
    EXPECT_EQ(e.rfind("m.veil: trailing bytes", 0), 0u) << e;
    Bytes file = save_model(*m);
    file.push_back(0);
    EXPECT_EQ(load_error(file).rfind("m.veil: envelope", 0), 0u) << load_error(file);
  }
}

TEST(ModelFile, RefusesOtherKindsAndVersions) {
  EXPECT_EQ(edited_error(pca(), [](Bytes& p) { p[kKind] = 7; }),
            "m.veil: unknown model kind 7 (expected 1 = pca or 2 = deepmds)");
  EXPECT_EQ(edited_error(pca(), [](Bytes& p) { p[kKind] = 0; }),
            "m.veil: unknown model kind 0 (expected 1 = pca or 2 = deepmds)");
  // A flipped kind makes the other reader parse fields that are not its own.
  EXPECT_EQ(edited_error(pca(), [](Bytes& p) { p[kKind] = 2; }).rfind("m.veil: deepmds ", 0), 0u);
  const std::string as_pca = edited_error(mds(), [](Bytes& p) { p[kKind] = 1; });
  EXPECT_EQ(as_pca.rfind("m.veil: trailing bytes", 0), 0u) << as_pca;  // PCA 12->3 is shorter
  EXPECT_EQ(edited_error(pca(), [](Bytes& p) { put_le(p, 0, 2, 4); }),
            "m.veil: model format version 2, expected 1");
}

TEST(ModelFile, RefusesDimensionsOutOfRange) {
  EXPECT_EQ(edited_error(pca(), [](Bytes& p) { put_le(p, kInputDim, 0, 8); }),
            "m.veil: input_dim 0, expected 1 to 65536");
  EXPECT_EQ(edited_error(pca(), [](Bytes& p) { put_le(p, kOutputDim, 65537, 8); }),
            "m.veil: output_dim 65537, expected 1 to 65536");
  EXPECT_EQ(edited_error(pca(), [](Bytes& p) { put_le(p, kOutputDim, 13, 8); }),
            "m.veil: pca output_dim 13 exceeds input_dim 12");
  // A large declared dimension with few bytes behind it is refused as
  // truncated before anything of that size is allocated.
  const std::string big = edited_error(pca(), [](Bytes& p) {
    put_le(p, kInputDim, 65536, 8);
    put_le(p, kOutputDim, 65536, 8);
  });
  EXPECT_EQ(big.rfind("m.veil: truncated", 0), 0u) << big;
  // A DeepMDS last stage must give the header's output dimension.
  EXPECT_EQ(edited_error(mds(), [](Bytes& p) { put_le(p, kOutputDim, 4, 8); }),
            "m.veil: deepmds last stage gives 3 outputs, header says output_dim 4");
}

constexpr std::uint32_t kNaN = 0x7fc00000;

TEST(ModelFile, RefusesNonFiniteValues) {
  // PCA fields of a 12 -> 5 model: flags, total, 5 variances, 12 means, 5 x 12 components.
  constexpr std::size_t kTotal = kFields + 1, kVariance = kTotal + 8, kMean = kVariance + 5 * 8,
                        kComponents = kMean + 12 * 4;
  EXPECT_EQ(edited_error(pca(), [](Bytes& p) { put_le(p, kComponents + 3 * 4, kNaN, 4); }),
            "m.veil: pca components[3] is not finite");
  EXPECT_EQ(edited_error(pca(), [](Bytes& p) { put_le(p, kMean, 0x7f800000, 4); }),
            "m.veil: pca mean[0] is not finite");
  EXPECT_EQ(edited_error(pca(), [](Bytes& p) { put_le(p, kVariance + 8, 0x7ff8000000000000, 8); }),
            "m.veil: pca explained variance[1] is not finite");
  EXPECT_EQ(edited_error(pca(), [](Bytes& p) { put_le(p, kTotal, 0xfff0000000000000, 8); }),
            "m.veil: pca total variance is not finite");
  EXPECT_EQ(edited_error(pca(), [](Bytes& p) { put_le(p, kVariance, 0xbff0000000000000, 8); }),
            "m.veil: pca: explained variance -1.000000 < 0 or not finite");
  // DeepMDS: stage count, then stage 0's output_dim and block count, then its skip weight.
  constexpr std::size_t kSkipWeight = kFields + 4 + 8 + 4;
  EXPECT_EQ(edited_error(mds(), [](Bytes& p) { put_le(p, kSkipWeight + 4 * 5, kNaN, 4); }),
            "m.veil: deepmds stage 0 skip weight[5] is not finite");
  // The last value of the file: stage 1, block 0, fc2 bias[2].
  EXPECT_EQ(edited_error(mds(), [](Bytes& p) { put_le(p, p.size() - 4, kNaN, 4); }),
            "m.veil: deepmds stage 1 block 0 fc2 bias[2] is not finite");
}

TEST(ModelFile, RefusesBadFieldHeaders) {
  EXPECT_EQ(edited_error(pca(), [](Bytes& p) { p[kFields] = 7; }),
            "m.veil: pca flags 7: unknown bits set (expected 0-3)");
  EXPECT_EQ(edited_error(mds(), [](Bytes& p) { put_le(p, kFields, 0, 4); }),
            "m.veil: deepmds stage count 0, expected 1 to 64");
  EXPECT_EQ(edited_error(mds(), [](Bytes& p) { put_le(p, kFields, 65, 4); }),
            "m.veil: deepmds stage count 65, expected 1 to 64");
  EXPECT_EQ(edited_error(mds(), [](Bytes& p) { put_le(p, kFields + 4, 0, 8); }),
            "m.veil: deepmds stage 0 output_dim 0, expected 1 to 65536");
  EXPECT_EQ(edited_error(mds(), [](Bytes& p) { put_le(p, kFields + 12, 65, 4); }),
            "m.veil: deepmds stage 0 block count 65, expected at most 64");
  const std::string e = edited_error(mds(), [](Bytes& p) { put_le(p, kFields + 12, 64, 4); });
  EXPECT_EQ(e.rfind("m.veil: truncated", 0), 0u) << e;
}

TEST(ModelFile, RefusesOtherEnvelopes) {
  const Bytes payload = payload_of(save_model(pca()));
  const std::string type = load_error(io::seal_envelope(io::ObjectType::SearchConfig, 0, payload));
  EXPECT_EQ(type.rfind("m.veil: envelope", 0), 0u) << type;
  EXPECT_NE(type.find("ReductionModel(15)"), std::string::npos) << type;
  const std::string param =
      load_error(io::seal_envelope(io::ObjectType::ReductionModel, 5, payload));
  EXPECT_EQ(param.rfind("m.veil: envelope", 0), 0u) << param;
  Bytes corrupt = save_model(pca());
  corrupt.back() ^= 1;
  EXPECT_EQ(load_error(corrupt).rfind("m.veil: envelope", 0), 0u) << load_error(corrupt);
}

}  // namespace
}  // namespace veil::reduce

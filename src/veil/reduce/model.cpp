#include "veil/reduce/model.h"

#include <cmath>
#include <stdexcept>

#include "veil/io/byte_io.h"
#include "veil/io/envelope.h"
#include "veil/io/errors.h"
#include "veil/io/file_io.h"
#include "veil/reduce/deep_mds.h"
#include "veil/reduce/model_io.h"
#include "veil/reduce/pca.h"

namespace veil::reduce {

namespace {

std::string expected_dims(std::optional<std::size_t> in, std::optional<std::size_t> out) {
  return (in ? std::to_string(*in) : "*") + "->" + (out ? std::to_string(*out) : "*");
}

void check_dim(const char* field, std::uint64_t v) {
  if (v == 0 || v > detail::kMaxModelDim) {
    throw io::FormatError(std::string(field) + " " + std::to_string(v) + ", expected 1 to " +
                          std::to_string(detail::kMaxModelDim));
  }
}

std::unique_ptr<Reducer> parse_model(std::span<const std::uint8_t> bytes,
                                     std::optional<std::size_t> expected_input,
                                     std::optional<std::size_t> expected_output) {
  const io::Envelope env =
      io::open_envelope(bytes, io::ObjectType::ReductionModel, 0, detail::kMaxModelBytes);
  io::ByteReader r(env.payload);
  const std::uint32_t version = r.get_u32("model format version");
  if (version != kModelFormatVersion) {
    throw io::FormatError("model format version " + std::to_string(version) + ", expected " +
                          std::to_string(kModelFormatVersion));
  }
  const std::uint8_t kind = r.get_u8("model kind");
  if (kind != static_cast<std::uint8_t>(ModelKind::kPca) &&
      kind != static_cast<std::uint8_t>(ModelKind::kDeepMds)) {
    throw io::FormatError("unknown model kind " + std::to_string(kind) +
                          " (expected 1 = pca or 2 = deepmds)");
  }
  const std::uint64_t in = r.get_u64("input_dim");
  const std::uint64_t out = r.get_u64("output_dim");
  check_dim("input_dim", in);
  check_dim("output_dim", out);
  if ((expected_input && *expected_input != in) || (expected_output && *expected_output != out)) {
    throw io::FormatError("model maps " + detail::dims(in, out) + ", expected " +
                          expected_dims(expected_input, expected_output));
  }
  std::unique_ptr<Reducer> model;
  if (kind == static_cast<std::uint8_t>(ModelKind::kPca)) {
    model = PcaModel::read_fields(r, in, out);
  } else {
    model = DeepMdsModel::read_fields(r, in, out);
  }
  r.expect_end();
  return model;
}

}  // namespace

std::string to_string(ModelKind kind) {
  switch (kind) {
    case ModelKind::kPca:
      return "pca";
    case ModelKind::kDeepMds:
      return "deepmds";
  }
  return "unknown";
}

void normalize_rows(data::Matrix& m) {
  for (std::size_t i = 0; i < m.rows; ++i) {
    float* r = m.row(i);
    double norm = 0;
    for (std::size_t j = 0; j < m.cols; ++j) norm += static_cast<double>(r[j]) * r[j];
    if (norm == 0) continue;
    const float f = static_cast<float>(1.0 / std::sqrt(norm));
    for (std::size_t j = 0; j < m.cols; ++j) r[j] *= f;
  }
}

std::vector<std::uint8_t> save_model(const Reducer& model) {
  const std::size_t in = model.input_dim(), out = model.output_dim();
  if (in == 0 || out == 0 || in > detail::kMaxModelDim || out > detail::kMaxModelDim) {
    throw std::invalid_argument("save_model: a model file holds dimensions 1 to " +
                                std::to_string(detail::kMaxModelDim) + ", got " +
                                detail::dims(in, out));
  }
  std::vector<std::uint8_t> payload;
  detail::put_u32(payload, kModelFormatVersion);
  payload.push_back(static_cast<std::uint8_t>(model.kind()));
  detail::put_u64(payload, in);
  detail::put_u64(payload, out);
  model.write_fields(payload);
  if (payload.size() > detail::kMaxModelBytes) {
    throw std::invalid_argument("save_model: " + model.describe() + " needs " +
                                std::to_string(payload.size()) + " bytes, more than the " +
                                std::to_string(detail::kMaxModelBytes) + "-byte limit");
  }
  return io::seal_envelope(io::ObjectType::ReductionModel, 0, payload);
}

std::unique_ptr<Reducer> load_model(std::span<const std::uint8_t> bytes, std::string_view source,
                                    std::optional<std::size_t> expected_input,
                                    std::optional<std::size_t> expected_output) {
  try {
    return parse_model(bytes, expected_input, expected_output);
  } catch (const io::FormatError& e) {
    throw io::FormatError(std::string(source) + ": " + e.what());
  }
}

void write_model(const std::filesystem::path& path, const Reducer& model) {
  io::write_file_atomic(path, save_model(model));
}

std::unique_ptr<Reducer> read_model(const std::filesystem::path& path,
                                    std::optional<std::size_t> expected_input,
                                    std::optional<std::size_t> expected_output) {
  std::vector<std::uint8_t> bytes;
  try {
    bytes = io::read_file(path, detail::kMaxModelBytes + io::kEnvelopeHeaderSize);
  } catch (const io::FormatError& e) {
    throw io::FormatError(path.string() + ": " + e.what());
  }
  return load_model(bytes, path.string(), expected_input, expected_output);
}

}  // namespace veil::reduce

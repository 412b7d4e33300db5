// A trained DeepMDS++ network, applied in plain C++ (training: torch/).
//
// DeepMDS++ (HERS) maps an embedding to a lower dimension through a chain of
// stages, each roughly halving the dimension:
//
//   stage(x) = skip(x) + fc2(prelu(fc1(x)))          skip, fc1: in -> out
//   h = h + block.fc2(prelu_b(block.fc1(h)))          for each extra block: out -> out
//   output = h / |h|                                  every stage ends L2-normalised
//
// The next stage takes the previous stage's normalised output. Weights are
// float32, row-major (out x in). PReLU has one slope per output channel.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "veil/reduce/model.h"

namespace veil::io {
class ByteReader;
}

namespace veil::reduce {

struct DenseLayer {
  std::size_t in = 0, out = 0;
  std::vector<float> weight;  // out x in, row-major
  std::vector<float> bias;    // out
};

struct ResidualBlock {
  DenseLayer fc1;             // out -> out
  std::vector<float> slopes;  // PReLU, one per channel
  DenseLayer fc2;             // out -> out
};

struct MdsStage {
  DenseLayer skip;            // in -> out, linear
  DenseLayer fc1;             // in -> out
  std::vector<float> slopes;  // PReLU after fc1, one per channel (out)
  DenseLayer fc2;             // out -> out
  std::vector<ResidualBlock> blocks;
  std::size_t input_dim() const { return skip.in; }
  std::size_t output_dim() const { return skip.out; }
};

class DeepMdsModel final : public Reducer {
 public:
  // Checks every layer's shape and that stage i's output feeds stage i+1
  // (std::invalid_argument naming the stage and layer otherwise); at least
  // one stage; weights finite.
  explicit DeepMdsModel(std::vector<MdsStage> stages);

  ModelKind kind() const override { return ModelKind::kDeepMds; }
  std::size_t input_dim() const override;
  std::size_t output_dim() const override;
  data::Matrix apply(const data::Matrix& x) const override;
  void write_fields(std::vector<std::uint8_t>& out) const override;
  std::string describe() const override;

  const std::vector<MdsStage>& stages() const { return stages_; }

  // Reads the fields written by write_fields (load_model's reader); malformed
  // fields are io::FormatError. Fields: u32 stage count (1 to 64); per stage
  // u64 output dimension, u32 block count (at most 64), then float32 arrays:
  // skip weight and bias, fc1 weight and bias, fc1 PReLU slopes, fc2 weight
  // and bias, and per block fc1 weight and bias, slopes, fc2 weight and bias.
  static std::unique_ptr<DeepMdsModel> read_fields(io::ByteReader& r, std::size_t input_dim,
                                                   std::size_t output_dim);

 private:
  std::vector<MdsStage> stages_;
};

}  // namespace veil::reduce

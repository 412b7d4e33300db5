#include "veil/reduce/deep_mds.h"

#include <cmath>
#include <stdexcept>
#include <utility>

#include "veil/io/byte_io.h"
#include "veil/io/errors.h"
#include "veil/reduce/model_io.h"

namespace veil::reduce {

namespace {

// Limits of a model file; the constructor accepts any size.
constexpr std::uint32_t kMaxStages = 64;
constexpr std::uint32_t kMaxBlocks = 64;

[[noreturn]] void invalid(const std::string& where, const std::string& what) {
  throw std::invalid_argument("deepmds: " + where + ": " + what);
}

bool all_finite(const std::vector<float>& v) {
  for (float x : v)
    if (!std::isfinite(x)) return false;
  return true;
}

void check_dense(const std::string& where, const DenseLayer& l, std::size_t in, std::size_t out) {
  if (l.in != in || l.out != out) {
    invalid(where, "maps " + detail::dims(l.in, l.out) + ", expected " + detail::dims(in, out));
  }
  if (l.weight.size() != in * out) {
    invalid(where, "weight has " + std::to_string(l.weight.size()) + " values, expected " +
                       std::to_string(in * out) + " (" + std::to_string(out) + " x " +
                       std::to_string(in) + ")");
  }
  if (l.bias.size() != out) {
    invalid(where, "bias has " + std::to_string(l.bias.size()) + " values, expected " +
                       std::to_string(out));
  }
  if (!all_finite(l.weight)) invalid(where, "weight is not finite");
  if (!all_finite(l.bias)) invalid(where, "bias is not finite");
}

void check_slopes(const std::string& where, const std::vector<float>& slopes, std::size_t out) {
  if (slopes.size() != out) {
    invalid(where, "PReLU has " + std::to_string(slopes.size()) + " slopes, expected " +
                       std::to_string(out));
  }
  if (!all_finite(slopes)) invalid(where, "PReLU slopes are not finite");
}

// out = W x + b, accumulated in double in a fixed order.
void dense(const DenseLayer& l, const std::vector<double>& x, std::vector<double>& out) {
  out.assign(l.out, 0.0);
  for (std::size_t o = 0; o < l.out; ++o) {
    const float* w = l.weight.data() + o * l.in;
    double s = l.bias[o];
    for (std::size_t i = 0; i < l.in; ++i) s += w[i] * x[i];
    out[o] = s;
  }
}

void prelu(std::vector<double>& x, const std::vector<float>& slopes) {
  for (std::size_t i = 0; i < x.size(); ++i)
    if (x[i] < 0) x[i] *= slopes[i];
}

// h += fc2(prelu(fc1(x))), with t and u as scratch.
void add_branch(const DenseLayer& fc1, const std::vector<float>& slopes, const DenseLayer& fc2,
                const std::vector<double>& x, std::vector<double>& h, std::vector<double>& t,
                std::vector<double>& u) {
  dense(fc1, x, t);
  prelu(t, slopes);
  dense(fc2, t, u);
  for (std::size_t i = 0; i < h.size(); ++i) h[i] += u[i];
}

void normalize(std::vector<double>& h) {
  double norm = 0;
  for (double v : h) norm += v * v;
  if (norm == 0) return;
  const double f = 1 / std::sqrt(norm);
  for (double& v : h) v *= f;
}

void write_dense(std::vector<std::uint8_t>& out, const DenseLayer& l) {
  detail::put_f32_array(out, l.weight);
  detail::put_f32_array(out, l.bias);
}

DenseLayer read_dense(io::ByteReader& r, const std::string& where, std::size_t in,
                      std::size_t out) {
  DenseLayer l;
  l.in = in;
  l.out = out;
  l.weight = detail::get_f32_array(r, where + " weight", io::checked_mul(in, out, "weight"));
  l.bias = detail::get_f32_array(r, where + " bias", out);
  return l;
}

}  // namespace

DeepMdsModel::DeepMdsModel(std::vector<MdsStage> stages) : stages_(std::move(stages)) {
  if (stages_.empty()) throw std::invalid_argument("deepmds: a model needs at least one stage");
  for (std::size_t s = 0; s < stages_.size(); ++s) {
    const MdsStage& st = stages_[s];
    const std::string name = "stage " + std::to_string(s);
    const std::size_t in = st.input_dim(), out = st.output_dim();
    if (in == 0 || out == 0)
      invalid(name + " skip", "maps " + detail::dims(in, out) + ", expected non-zero dimensions");
    if (s > 0 && in != stages_[s - 1].output_dim()) {
      invalid(name, "takes " + std::to_string(in) + " inputs, but stage " + std::to_string(s - 1) +
                        " gives " + std::to_string(stages_[s - 1].output_dim()));
    }
    check_dense(name + " skip", st.skip, in, out);
    check_dense(name + " fc1", st.fc1, in, out);
    check_slopes(name + " fc1", st.slopes, out);
    check_dense(name + " fc2", st.fc2, out, out);
    for (std::size_t b = 0; b < st.blocks.size(); ++b) {
      const std::string bname = name + " block " + std::to_string(b);
      check_dense(bname + " fc1", st.blocks[b].fc1, out, out);
      check_slopes(bname + " fc1", st.blocks[b].slopes, out);
      check_dense(bname + " fc2", st.blocks[b].fc2, out, out);
    }
  }
}

std::size_t DeepMdsModel::input_dim() const { return stages_.front().input_dim(); }
std::size_t DeepMdsModel::output_dim() const { return stages_.back().output_dim(); }

data::Matrix DeepMdsModel::apply(const data::Matrix& x) const {
  if (x.cols != input_dim()) {
    throw std::invalid_argument("deepmds: input has " + std::to_string(x.cols) +
                                " columns, expected " + std::to_string(input_dim()));
  }
  data::Matrix out{x.rows, output_dim(), std::vector<float>(x.rows * output_dim())};
  std::vector<double> cur, h, t, u;
  for (std::size_t i = 0; i < x.rows; ++i) {
    cur.assign(x.row(i), x.row(i) + x.cols);
    for (const MdsStage& st : stages_) {
      dense(st.skip, cur, h);
      add_branch(st.fc1, st.slopes, st.fc2, cur, h, t, u);
      for (const ResidualBlock& b : st.blocks) add_branch(b.fc1, b.slopes, b.fc2, h, h, t, u);
      normalize(h);
      std::swap(cur, h);
    }
    for (std::size_t j = 0; j < cur.size(); ++j) out.row(i)[j] = static_cast<float>(cur[j]);
  }
  return out;
}

std::string DeepMdsModel::describe() const {
  const std::size_t n = stages_.size();
  return "deepmds " + detail::dims(input_dim(), output_dim()) + " (" + std::to_string(n) +
         (n == 1 ? " stage)" : " stages)");
}

void DeepMdsModel::write_fields(std::vector<std::uint8_t>& out) const {
  // Refuse to write what read_fields would refuse.
  if (stages_.size() > kMaxStages) {
    throw std::invalid_argument("deepmds: " + std::to_string(stages_.size()) +
                                " stages, a model file holds at most " +
                                std::to_string(kMaxStages));
  }
  for (const MdsStage& st : stages_) {
    if (st.blocks.size() > kMaxBlocks || st.output_dim() > detail::kMaxModelDim) {
      throw std::invalid_argument("deepmds: a stage with " + std::to_string(st.blocks.size()) +
                                  " blocks and " + std::to_string(st.output_dim()) +
                                  " outputs does not fit a model file (at most " +
                                  std::to_string(kMaxBlocks) + " blocks, " +
                                  std::to_string(detail::kMaxModelDim) + " outputs)");
    }
  }
  detail::put_u32(out, static_cast<std::uint32_t>(stages_.size()));
  for (const MdsStage& st : stages_) {
    detail::put_u64(out, st.output_dim());
    detail::put_u32(out, static_cast<std::uint32_t>(st.blocks.size()));
    write_dense(out, st.skip);
    write_dense(out, st.fc1);
    detail::put_f32_array(out, st.slopes);
    write_dense(out, st.fc2);
    for (const ResidualBlock& b : st.blocks) {
      write_dense(out, b.fc1);
      detail::put_f32_array(out, b.slopes);
      write_dense(out, b.fc2);
    }
  }
}

std::unique_ptr<DeepMdsModel> DeepMdsModel::read_fields(io::ByteReader& r, std::size_t input_dim,
                                                        std::size_t output_dim) {
  const std::uint32_t n = r.get_u32("deepmds stage count");
  if (n == 0 || n > kMaxStages) {
    throw io::FormatError("deepmds stage count " + std::to_string(n) + ", expected 1 to " +
                          std::to_string(kMaxStages));
  }
  std::vector<MdsStage> stages(n);
  std::size_t in = input_dim;
  for (std::uint32_t s = 0; s < n; ++s) {
    const std::string name = "deepmds stage " + std::to_string(s);
    const std::uint64_t out = r.get_u64((name + " output_dim").c_str());
    if (out == 0 || out > detail::kMaxModelDim) {
      throw io::FormatError(name + " output_dim " + std::to_string(out) + ", expected 1 to " +
                            std::to_string(detail::kMaxModelDim));
    }
    const std::uint32_t blocks = r.get_u32((name + " block count").c_str());
    if (blocks > kMaxBlocks) {
      throw io::FormatError(name + " block count " + std::to_string(blocks) +
                            ", expected at most " + std::to_string(kMaxBlocks));
    }
    MdsStage& st = stages[s];
    st.skip = read_dense(r, name + " skip", in, out);
    st.fc1 = read_dense(r, name + " fc1", in, out);
    st.slopes = detail::get_f32_array(r, name + " fc1 slopes", out);
    st.fc2 = read_dense(r, name + " fc2", out, out);
    for (std::uint32_t b = 0; b < blocks; ++b) {
      const std::string bname = name + " block " + std::to_string(b);
      ResidualBlock blk;
      blk.fc1 = read_dense(r, bname + " fc1", out, out);
      blk.slopes = detail::get_f32_array(r, bname + " fc1 slopes", out);
      blk.fc2 = read_dense(r, bname + " fc2", out, out);
      st.blocks.push_back(std::move(blk));
    }
    in = out;
  }
  if (in != output_dim) {
    throw io::FormatError("deepmds last stage gives " + std::to_string(in) +
                          " outputs, header says output_dim " + std::to_string(output_dim));
  }
  try {
    return std::make_unique<DeepMdsModel>(std::move(stages));
  } catch (const std::invalid_argument& e) {
    throw io::FormatError(e.what());
  }
}

}  // namespace veil::reduce

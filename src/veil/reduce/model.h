// A trained dimensionality reduction (PCA or DeepMDS++) and its file format.
//
// A Reducer maps rows of input_dim() values to rows of output_dim() values,
// each output row L2-normalised, so that cosine similarity (the score the
// encrypted search computes) is an inner product after reduction. Models are
// applied in plain C++ (no libtorch needed to use a DeepMDS++ model; only
// training needs it), so the core build can enrol and search with any model.
//
// File: one io envelope of type ReductionModel (15), parameter id 0. Payload:
//   u32 format version (kModelFormatVersion), u8 kind (ModelKind),
//   u64 input_dim, u64 output_dim, then the kind's own fields (pca.h, deep_mds.h).
// Loading checks every length against the bytes present before allocating
// and refuses a model whose dimensions do not match what the caller expects.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "veil/data/matrix.h"

namespace veil::reduce {

enum class ModelKind : std::uint8_t { kPca = 1, kDeepMds = 2 };
std::string to_string(ModelKind kind);  // "pca", "deepmds"

inline constexpr std::uint32_t kModelFormatVersion = 1;

class Reducer {
 public:
  virtual ~Reducer() = default;
  virtual ModelKind kind() const = 0;
  virtual std::size_t input_dim() const = 0;
  virtual std::size_t output_dim() const = 0;
  // rows x input_dim() -> rows x output_dim(), every output row of unit
  // length (a zero row stays zero). A matrix with another column count is a
  // std::invalid_argument naming both dimensions.
  virtual data::Matrix apply(const data::Matrix& x) const = 0;
  // The kind's own payload fields (after the common header).
  virtual void write_fields(std::vector<std::uint8_t>& out) const = 0;
  // "pca 512->32", "deepmds 512->16 (3 stages)".
  virtual std::string describe() const = 0;
};

// The whole file: envelope, header, fields.
std::vector<std::uint8_t> save_model(const Reducer& model);
// Throws io::FormatError for malformed bytes (message starts with `source`).
// With expected dimensions, a model for other dimensions is an
// io::FormatError saying "model maps A->B, expected C->D".
std::unique_ptr<Reducer> load_model(std::span<const std::uint8_t> bytes,
                                    std::string_view source = "<memory>",
                                    std::optional<std::size_t> expected_input = std::nullopt,
                                    std::optional<std::size_t> expected_output = std::nullopt);
// Written atomically (io::write_file_atomic).
void write_model(const std::filesystem::path& path, const Reducer& model);
std::unique_ptr<Reducer> read_model(const std::filesystem::path& path,
                                    std::optional<std::size_t> expected_input = std::nullopt,
                                    std::optional<std::size_t> expected_output = std::nullopt);

// L2-normalises every row in place (zero rows are left as they are).
void normalize_rows(data::Matrix& m);

}  // namespace veil::reduce

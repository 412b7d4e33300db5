// One entry point for any embedding file, by extension.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "veil/data/matrix.h"

namespace veil::data {

enum class Format { kNpy, kFvecs, kBvecs, kCsv };

// .npy, .fvecs, .bvecs, .csv (case-sensitive); nullopt for anything else.
std::optional<Format> format_from_extension(const std::filesystem::path& path);

struct ReadOptions {
  std::uint64_t max_rows = kAllRows;
  std::uint64_t max_file_bytes = kDefaultMaxFileBytes;
  bool csv_id_column = false;  // CSV only: the first field is a string id
};

struct Embeddings {
  Matrix matrix;
  std::vector<std::string> ids;  // CSV with csv_id_column only; else empty
};

// Dispatches on the extension; an unknown extension is an io::FormatError.
Embeddings read_embeddings(const std::filesystem::path& path, const ReadOptions& options = {});

}  // namespace veil::data

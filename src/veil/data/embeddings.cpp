#include "veil/data/embeddings.h"

#include "veil/data/file_bytes.h"
#include "veil/data/npy.h"
#include "veil/data/text.h"
#include "veil/data/vecs.h"

namespace veil::data {

std::optional<Format> format_from_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  if (ext == ".npy") return Format::kNpy;
  if (ext == ".fvecs") return Format::kFvecs;
  if (ext == ".bvecs") return Format::kBvecs;
  if (ext == ".csv") return Format::kCsv;
  return std::nullopt;
}

Embeddings read_embeddings(const std::filesystem::path& path, const ReadOptions& options) {
  std::optional<Format> format = format_from_extension(path);
  if (!format) {
    detail::fail(path.string(), "unknown embedding file extension '" + path.extension().string() +
                                    "' (expected .npy, .fvecs, .bvecs or .csv)");
  }
  Embeddings out;
  switch (*format) {
    case Format::kNpy:
      out.matrix = read_npy(path, options.max_rows, options.max_file_bytes);
      break;
    case Format::kFvecs:
      out.matrix = read_fvecs(path, options.max_rows, options.max_file_bytes);
      break;
    case Format::kBvecs:
      out.matrix = read_bvecs(path, options.max_rows, options.max_file_bytes);
      break;
    case Format::kCsv: {
      CsvData csv =
          read_csv(path, {options.csv_id_column, options.max_rows}, options.max_file_bytes);
      out.matrix = std::move(csv.matrix);
      out.ids = std::move(csv.ids);
      break;
    }
  }
  return out;
}

}  // namespace veil::data

// Where the shared real data sets live, for tests that use them (they skip
// cleanly when the folder is absent): $VEIL_DATASETS, else ../shared/datasets
// beside the checkout (VEIL_SOURCE_DIR is the repository root, set by CMake).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>

namespace veil::test {

inline std::optional<std::filesystem::path> datasets_dir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (const char* env = std::getenv("VEIL_DATASETS"); env != nullptr && *env != '\0') {
    if (fs::is_directory(env, ec)) return fs::path(env);
    return std::nullopt;
  }
#ifdef VEIL_SOURCE_DIR
  fs::path p = fs::path(VEIL_SOURCE_DIR) / ".." / "shared" / "datasets";
  if (fs::is_directory(p, ec)) return p.lexically_normal();
#endif
  return std::nullopt;
}

}  // namespace veil::test

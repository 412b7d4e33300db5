// `veil bench --two-stage`: see bench_two_stage.cpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

namespace veil::apps {

struct TwoStageBenchOptions {
  std::size_t templates = 1000000;
  std::size_t probes = 200;
  std::size_t full_dimension = 512;
  std::size_t intrinsic_dimension = 32;
  std::vector<std::size_t> coarse_dimensions{16, 32};
  std::vector<std::size_t> candidates{100, 1000, 10000};
  std::size_t train_identities = 20000;
  std::uint64_t seed = 20261121;
  std::size_t threads = 0;
  std::filesystem::path datasets = "../shared/datasets";
};

nlohmann::json run_two_stage_bench(const TwoStageBenchOptions& o);
void print_two_stage_table(const nlohmann::json& results);

}  // namespace veil::apps

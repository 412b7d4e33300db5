// `veil ann bench --plot FILE.png`: recall@k against queries per second, one
// line per Veil configuration (probe form, fetch, refine) and one for
// plaintext faiss, points labelled with nprobe.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace veil::apps {

// Writes FILE.dat and FILE.gp beside `png` and renders it with gnuplot.
// Returns what happened, for the bench to print.
std::string plot_ann_bench(const nlohmann::json& bench, const std::filesystem::path& png);

}  // namespace veil::apps

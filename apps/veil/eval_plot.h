// `veil eval`: the report's plots. Per data set a .dat and a .gp are written
// into the report folder and gnuplot (pngcairo) renders them to PNG; without
// gnuplot the .dat/.gp stay and the result says so.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

namespace veil::apps::eval {

// One data set's entry of run_eval's JSON. Returns what was written and
// whether gnuplot ran: {"files": [...], "png": [...], "gnuplot": "..."}.
nlohmann::json write_plots(const nlohmann::json& set, const std::filesystem::path& dir);

}  // namespace veil::apps::eval

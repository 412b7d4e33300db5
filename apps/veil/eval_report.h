// `veil eval`: the report folder: eval.json (everything), eval.md (a table
// per data set) and the plots (eval_plot.h).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace veil::apps::eval {

// The markdown report of run_eval's JSON.
std::string markdown(const nlohmann::json& result);

// Creates `dir`, writes the plots (adding what was made to `result`), then
// eval.md and eval.json. Returns eval.md's text.
std::string write_report(nlohmann::json& result, const std::filesystem::path& dir);

}  // namespace veil::apps::eval

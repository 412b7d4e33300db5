// Plots for the CLI's reports: text files written next to each other and
// rendered by gnuplot (pngcairo) when it is installed. Without gnuplot the
// .dat and .gp files stay, so the plot can be made elsewhere.
#pragma once

#include <filesystem>
#include <string>

namespace veil::apps {

// Writes `text` to `path`; std::runtime_error when it cannot.
void write_text(const std::filesystem::path& path, const std::string& text);

// `s` in single quotes for /bin/sh.
std::string quoted_shell(const std::string& s);

// True when `gnuplot` is on the PATH.
bool have_gnuplot();

// Runs gnuplot on `stem`.gp inside `dir`; true when `stem`.png exists after.
// gnuplot's messages go to `stem`.log, which is removed on success.
bool render_gnuplot(const std::filesystem::path& dir, const std::string& stem);

}  // namespace veil::apps
